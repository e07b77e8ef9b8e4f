//! Changing the config file in place: toml_edit keeps the team's comments and layout, and
//! every write is all-or-nothing (a temporary file renamed over the old one).

use anyhow::Result;
use toml_edit::{DocumentMut, Item, TableLike, Value};

use crate::error::Failure;

/// Finds a dotted key (`release.name`, `environments.0.name`) in a parsed config.
pub fn lookup<'v>(value: &'v toml::Value, key: &str) -> Option<&'v toml::Value> {
    key.split('.').try_fold(value, |v, part| match v {
        toml::Value::Table(t) => t.get(part),
        toml::Value::Array(a) => part.parse::<usize>().ok().and_then(|i| a.get(i)),
        _ => None,
    })
}

/// Returns `text` with `key` set to `raw` (TOML if it parses as a value, else a string).
/// An existing value keeps its comments; missing tables are created.
pub fn set(text: &str, key: &str, raw: &str) -> Result<String> {
    let mut doc: DocumentMut = text
        .parse()
        .map_err(|e| Failure::new(format!("{}: not valid TOML: {e}", super::CONFIG_PATH)))?;
    let parts: Vec<&str> = key.split('.').collect();
    if parts.iter().any(|p| p.is_empty()) {
        return Err(
            Failure::usage(format!("`{key}` is not a dotted key like release.name")).into(),
        );
    }
    let value: Value = match raw.parse::<Value>() {
        Ok(v) => v,
        Err(_) => Value::from(raw),
    };
    let was_empty = doc.as_table().is_empty();
    set_in(doc.as_table_mut(), &parts, value, key)?;
    if was_empty {
        keep_header_first(&mut doc);
    }
    Ok(doc.to_string())
}

/// A file of comments alone holds them as the document's trailing text, which toml_edit
/// writes after anything added: they go before the first item instead, where they were.
fn keep_header_first(doc: &mut DocumentMut) {
    let header = doc.trailing().as_str().unwrap_or_default().to_owned();
    if header.trim().is_empty() {
        return;
    }
    let header = format!("{}\n\n", header.trim_end());
    let Some((mut key, item)) = doc.as_table_mut().iter_mut().next() else {
        return;
    };
    match item {
        Item::Table(table) => table.decor_mut().set_prefix(header),
        _ => key.leaf_decor_mut().set_prefix(header),
    }
    doc.set_trailing("");
}

fn set_in(table: &mut dyn TableLike, parts: &[&str], mut value: Value, key: &str) -> Result<()> {
    let (first, rest) = parts.split_first().expect("keys have a part");
    if rest.is_empty() {
        // Replace the value in place: the key keeps the comments above it, the value its own.
        match table.get_mut(first) {
            Some(slot) => {
                if let Some(old) = slot.as_value() {
                    *value.decor_mut() = old.decor().clone();
                }
                *slot = Item::Value(value);
            }
            None => {
                table.insert(first, Item::Value(value));
            }
        }
        return Ok(());
    }
    if table.get(first).is_none() {
        table.insert(first, Item::Table(toml_edit::Table::new()));
    }
    let item = table.get_mut(first).expect("present or just inserted");
    if let Some(list) = item.as_array_of_tables_mut() {
        let len = list.len();
        let (index, rest) = rest.split_first().expect("rest is not empty");
        let entry = index
            .parse::<usize>()
            .ok()
            .and_then(|i| list.get_mut(i))
            .ok_or_else(|| {
                Failure::usage(format!(
                    "`{key}`: `{first}` is a list of {len}; `{index}` is not an index into it"
                ))
            })?;
        if rest.is_empty() {
            return Err(Failure::usage(format!(
                "`{key}` names a whole entry; name one of its keys"
            ))
            .into());
        }
        return set_in(entry, rest, value, key);
    }
    match item.as_table_like_mut() {
        Some(inner) => set_in(inner, rest, value, key),
        None => Err(Failure::usage(format!("`{key}`: `{first}` is a value, not a table")).into()),
    }
}

/// Returns `text` with `item` appended to the array at dotted `key` (created if missing), as
/// one line of its own — or, where the array is written as an array of tables (`[[key]]`), as
/// one more table after the last one.
pub fn append(text: &str, key: &str, item: Value) -> Result<String> {
    let mut doc: DocumentMut = text
        .parse()
        .map_err(|e| Failure::new(format!("{}: not valid TOML: {e}", super::CONFIG_PATH)))?;
    let parts: Vec<&str> = key.split('.').collect();
    let (last, path) = parts.split_last().expect("a key has a part");
    let mut table: &mut dyn TableLike = doc.as_table_mut();
    for part in path {
        if table.get(part).is_none() {
            table.insert(part, Item::Table(toml_edit::Table::new()));
        }
        table = table
            .get_mut(part)
            .and_then(Item::as_table_like_mut)
            .ok_or_else(|| Failure::new(format!("`{part}` in {key} is not a table")))?;
    }
    if table.get(last).is_none() {
        table.insert(last, Item::Value(Value::Array(toml_edit::Array::new())));
    }
    if let Some(tables) = table.get_mut(last).and_then(Item::as_array_of_tables_mut) {
        let Value::InlineTable(entry) = item else {
            return Err(
                Failure::new(format!("{key} is a list of tables; this is not a table")).into(),
            );
        };
        tables.push(entry.into_table());
        return Ok(doc.to_string());
    }
    let array = table
        .get_mut(last)
        .and_then(Item::as_array_mut)
        .ok_or_else(|| Failure::new(format!("{key} is not a list")))?;
    // A comment after the last element (`{ … }, # why`) stays with that element.
    let comment = array
        .trailing()
        .as_str()
        .unwrap_or_default()
        .trim_end()
        .to_owned();
    let mut item = item;
    item.decor_mut().set_prefix(format!("{comment}\n    "));
    array.push_formatted(item);
    array.set_trailing("\n");
    array.set_trailing_comma(true);
    Ok(doc.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn swap() -> Value {
        let mut item = toml_edit::InlineTable::new();
        item.insert("a", "carol".into());
        item.insert("b", "alice".into());
        Value::InlineTable(item)
    }

    #[test]
    fn a_header_comment_stays_above_what_is_set() {
        let header = "# Our release process.\n# Reviewed like code.\n";
        let text = set(header, "release.name", "%Y.%m.%d").unwrap();
        assert_eq!(
            text,
            "# Our release process.\n# Reviewed like code.\n\n[release]\nname = \"%Y.%m.%d\"\n"
        );
        let text = set(header, "remote", "upstream").unwrap();
        assert!(text.starts_with(header), "{text}");
        assert!(text.trim_end().ends_with("remote = \"upstream\""), "{text}");
        // A file with content keeps its layout as before.
        let text = set(&format!("{header}\n[release]\n"), "release.name", "x").unwrap();
        assert!(text.starts_with(header), "{text}");
    }

    #[test]
    fn append_extends_an_inline_array_or_an_array_of_tables() {
        let inline = "[duty]\nswaps = [\n    { a = \"bob\", b = \"carol\" }, # covering\n]\n";
        assert_eq!(
            append(inline, "duty.swaps", swap()).unwrap(),
            "[duty]\nswaps = [\n    { a = \"bob\", b = \"carol\" }, # covering\n    { a = \"carol\", b = \"alice\" },\n]\n"
        );
        let tables = "# Duty\n[duty]\nrotation = [\"alice\"]\n\n# bob is away\n[[duty.swaps]]\na = \"bob\" # him\nb = \"carol\"\n\n# Roles\n[roles.qa]\n";
        assert_eq!(
            append(tables, "duty.swaps", swap()).unwrap(),
            "# Duty\n[duty]\nrotation = [\"alice\"]\n\n# bob is away\n[[duty.swaps]]\na = \"bob\" # him\nb = \"carol\"\n\n[[duty.swaps]]\na = \"carol\"\nb = \"alice\"\n\n# Roles\n[roles.qa]\n"
        );
    }
}
