//! Migration systems: finding the migrations a commit added and writing their undo.
