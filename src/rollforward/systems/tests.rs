use std::io::Write as _;
use std::process::{Command, Stdio};

use proptest::prelude::*;

use super::System::*;
use super::*;

const NOW: &str = "20240601120000";
const SHA: &str = "abc1234";

/// A repository's files at one commit.
#[derive(Clone, Debug, Default)]
pub(super) struct Repo(BTreeMap<String, String>);

impl Repo {
    pub(super) fn new(files: &[(&str, &str)]) -> Repo {
        let mut repo = Repo::default();
        for (path, content) in files {
            repo.put(path, content);
        }
        repo
    }

    pub(super) fn put(&mut self, path: &str, content: &str) {
        self.0.insert(path.to_string(), content.to_string());
    }

    fn add(&mut self, files: &[NewFile]) {
        for file in files {
            assert!(
                !self.0.contains_key(&file.path),
                "{} already exists",
                file.path
            );
            self.put(&file.path, &file.content);
        }
    }

    fn paths(&self) -> Vec<String> {
        self.0.keys().cloned().collect()
    }

    fn read(&self, path: &str) -> Option<String> {
        self.0.get(path).cloned()
    }

    pub(super) fn detect(&self) -> Vec<MigrationDir> {
        detect(&self.paths(), &|path| self.read(path))
    }
}

pub(super) fn at(timestamp: &str) -> NaiveDateTime {
    parse_timestamp(timestamp).expect("a valid timestamp")
}

fn dir(system: System, dir: &str) -> MigrationDir {
    MigrationDir {
        system,
        dir: dir.to_string(),
    }
}

fn strings(paths: &[&str]) -> Vec<String> {
    paths.iter().map(|path| path.to_string()).collect()
}

/// Plans the undo of the migrations among `added`, as `git release rollforward` would.
pub(super) fn undo_of(
    repo: &Repo,
    dir: &MigrationDir,
    added: &[&str],
    allow_manual: bool,
) -> Result<Vec<Undo>, UndoError> {
    let migrations = added_migrations(dir, &strings(added));
    assert!(!migrations.is_empty(), "no migrations among {added:?}");
    plan_undo(
        &migrations,
        &repo.paths(),
        &|path| repo.read(path),
        at(NOW),
        SHA,
        allow_manual,
    )
}

fn new_paths(undos: &[Undo]) -> Vec<&str> {
    undos
        .iter()
        .flat_map(|undo| &undo.files)
        .map(|file| file.path.as_str())
        .collect()
}

fn new_file(path: &str, content: &str) -> NewFile {
    NewFile {
        path: path.to_string(),
        content: content.to_string(),
    }
}

// --- System ----------------------------------------------------------------------------

#[test]
fn system_names_round_trip_through_parse_and_config() {
    for system in System::ALL {
        assert_eq!(System::parse(system.name()), Some(system));
        assert_eq!(System::parse(&system.name().to_uppercase()), Some(system));
        let config = format!("system = \"{system}\"\ndir = \"db/migrations\"\n");
        let parsed: MigrationDir = toml::from_str(&config).expect("config parses");
        assert_eq!(parsed, dir(system, "db/migrations"));
    }
    assert_eq!(System::parse("hibernate"), None);
}

// --- Detection -------------------------------------------------------------------------

#[test]
fn detect_tells_every_system_apart() {
    let repo = Repo::new(&[
        ("go/db/000001_init.up.sql", "CREATE TABLE a (id int);"),
        ("go/db/000001_init.down.sql", "DROP TABLE a;"),
        ("api/Cargo.toml", "[dependencies]\nsqlx = \"0.8\"\n"),
        (
            "api/migrations/20240101000000_init.up.sql",
            "CREATE TABLE a (id int);",
        ),
        (
            "api/migrations/20240101000000_init.down.sql",
            "DROP TABLE a;",
        ),
        (
            "api/migrations/20240102000000_seed.sql",
            "INSERT INTO a VALUES (1);",
        ),
        (
            "web/migrations/00000000000000_diesel_initial_setup/up.sql",
            "-- setup",
        ),
        (
            "web/migrations/2024-01-01-000000_init/up.sql",
            "CREATE TABLE a (id int);",
        ),
        (
            "web/migrations/2024-01-01-000000_init/down.sql",
            "DROP TABLE a;",
        ),
        (
            "db/migrations/20240101000000_init.sql",
            "-- migrate:up\nSELECT 1;\n-- migrate:down\n",
        ),
        ("db/schema.sql", "CREATE TABLE a (id int);"),
        (
            "goose/00001_init.sql",
            "-- +goose Up\nSELECT 1;\n-- +goose Down\nSELECT 2;\n",
        ),
        ("goose/00002_seed.go", "package migrations"),
        (
            "sqlmigrate/1-init.sql",
            "-- +migrate Up\nSELECT 1;\n-- +migrate Down\n",
        ),
        ("sqlmigrate/init-seed.sql", "-- +migrate Up\nSELECT 1;\n"),
        (
            "src/main/resources/db/migration/V1__init.sql",
            "CREATE TABLE a (id int);",
        ),
        (
            "src/main/resources/db/migration/V1_1__seed.sql",
            "INSERT INTO a VALUES (1);",
        ),
        (
            "src/main/resources/db/migration/U1_1__seed.sql",
            "DELETE FROM a;",
        ),
        (
            "src/main/resources/db/migration/R__views.sql",
            "CREATE VIEW v AS SELECT 1;",
        ),
        ("sql/migrations/001-init.sql", "CREATE TABLE a (id int);"),
        ("sql/migrations/002_seed.sql", "INSERT INTO a VALUES (1);"),
    ]);
    assert_eq!(
        repo.detect(),
        vec![
            dir(Sqlx, "api/migrations"),
            dir(Dbmate, "db/migrations"),
            dir(GolangMigrate, "go/db"),
            dir(Goose, "goose"),
            dir(PlainSql, "sql/migrations"),
            dir(SqlMigrate, "sqlmigrate"),
            dir(Flyway, "src/main/resources/db/migration"),
            dir(Diesel, "web/migrations"),
        ]
    );
}

#[test]
fn detect_skips_what_is_not_clearly_one_systems_migrations() {
    let repo = Repo::new(&[
        // Numbered SQL in a dir that does not call itself migrations: examples, fixtures.
        ("docs/examples/01-select.sql", "SELECT 1;"),
        // Two systems in one dir: which one runs it is not ours to guess.
        ("db/migrate/1_a.sql", "-- +goose Up\nSELECT 1;\n"),
        ("db/migrate/2_b.sql", "-- migrate:up\nSELECT 1;\n"),
        // Other people's migrations.
        (
            "vendor/github.com/x/y/migrations/000001_a.up.sql",
            "SELECT 1;",
        ),
        ("internal/testdata/migrations/000001_a.up.sql", "SELECT 1;"),
        (".github/migrations/000001_a.up.sql", "SELECT 1;"),
        // A Cargo workspace without sqlx keeps golang-migrate.
        ("Cargo.toml", "[workspace]\n"),
        ("tools/migrations/000001_a.up.sql", "SELECT 1;"),
    ]);
    assert_eq!(repo.detect(), vec![dir(GolangMigrate, "tools/migrations")]);
}

#[test]
fn detect_finds_migrations_at_the_repository_root() {
    let repo = Repo::new(&[
        (
            "20240101000000_init.sql",
            "-- migrate:up\nSELECT 1;\n-- migrate:down\n",
        ),
        ("README.md", "# app"),
    ]);
    assert_eq!(repo.detect(), vec![dir(Dbmate, "")]);
}

// --- added_migrations ------------------------------------------------------------------

#[test]
fn added_migrations_groups_each_migrations_files_oldest_first() {
    let go = dir(GolangMigrate, "db/migrations/");
    let added = strings(&[
        "db/migrations/000010_b.up.sql",
        "db/migrations/000010_b.down.sql",
        "db/migrations/000009_a.up.sql",
        "db/migrations/000008_old.down.sql",
        "db/migrations/nested/000011_c.up.sql",
        "db/other/000012_d.up.sql",
        "db/migrations/README.md",
    ]);
    let found = added_migrations(&go, &added);
    let summary: Vec<(&str, &str, &str, usize)> = found
        .iter()
        .map(|m| {
            (
                m.id.as_str(),
                m.version.as_str(),
                m.name.as_str(),
                m.files.len(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            ("000009_a", "000009", "a", 1),
            ("000010_b", "000010", "b", 2)
        ]
    );
    assert_eq!(
        found[1].files,
        [
            "db/migrations/000010_b.down.sql",
            "db/migrations/000010_b.up.sql"
        ]
    );
}

/// A system, the paths a commit added, and the `(id, version, name)` of each migration.
type NameCase = (
    System,
    &'static [&'static str],
    &'static [(&'static str, &'static str, &'static str)],
);

#[test]
fn added_migrations_reads_each_systems_names() {
    let cases: [NameCase; 7] = [
        (
            Diesel,
            &[
                "m/2024-01-01-120000_add_email/up.sql",
                "m/2024-01-01-120000_add_email/down.sql",
            ],
            &[(
                "2024-01-01-120000_add_email",
                "2024-01-01-120000",
                "add_email",
            )],
        ),
        (
            Dbmate,
            &["m/20240101120000_add_email.sql"],
            &[(
                "20240101120000_add_email.sql",
                "20240101120000",
                "add_email",
            )],
        ),
        (
            Goose,
            &[
                "m/00002_add_email.sql",
                "m/00003_seed.go",
                "m/00003_seed_test.go",
            ],
            &[
                ("00002_add_email.sql", "00002", "add_email"),
                ("00003_seed.go", "00003", "seed"),
            ],
        ),
        (
            SqlMigrate,
            &["m/2-add-email.sql", "m/init.sql"],
            &[
                ("2-add-email.sql", "2", "add-email"),
                ("init.sql", "", "init"),
            ],
        ),
        (
            Flyway,
            &[
                "m/V1_10__Add_email.sql",
                "m/U1.10__Add_email.sql",
                "m/U1_2__only_undo.sql",
                "m/R__views.sql",
            ],
            &[("V1_10__Add_email.sql", "1_10", "Add_email")],
        ),
        (
            Sqlx,
            &["m/20240101120000_seed.sql"],
            &[("20240101120000_seed", "20240101120000", "seed")],
        ),
        (
            PlainSql,
            &["m/0003-add-index.sql", "m/notes.sql"],
            &[("0003-add-index.sql", "0003", "add-index")],
        ),
    ];
    for (system, added, expected) in cases {
        let found = added_migrations(&dir(system, "m"), &strings(added));
        let summary: Vec<(&str, &str, &str)> = found
            .iter()
            .map(|m| (m.id.as_str(), m.version.as_str(), m.name.as_str()))
            .collect();
        assert_eq!(summary, expected, "{system}");
    }
    let flyway = added_migrations(
        &dir(Flyway, "m"),
        &strings(&["m/V1_10__Add_email.sql", "m/U1.10__Add_email.sql"]),
    );
    assert_eq!(flyway[0].files.len(), 2, "the U file belongs to its V file");
}

// --- Versions --------------------------------------------------------------------------

fn next_versions(system: System, existing: &[&str], now: &str, count: usize) -> Vec<String> {
    let mut namer = Namer::new(&dir(system, "m"), &[], &strings(existing));
    (0..count).map(|_| namer.next(at(now))).collect()
}

#[test]
fn sequences_count_on_with_the_existing_padding() {
    assert_eq!(
        next_versions(
            GolangMigrate,
            &["m/000003_a.up.sql", "m/000001_b.up.sql"],
            NOW,
            2
        ),
        ["000004", "000005"]
    );
    assert_eq!(
        next_versions(Goose, &["m/00009_a.sql", "m/00010_b.sql"], NOW, 1),
        ["00011"]
    );
    assert_eq!(
        next_versions(PlainSql, &["m/8-a.sql", "m/9-b.sql"], NOW, 1),
        ["10"]
    );
    assert_eq!(next_versions(PlainSql, &["m/999_a.sql"], NOW, 1), ["1000"]);
}

#[test]
fn timestamps_use_the_clock_unless_a_version_is_already_past_it() {
    let past = ["m/20240101000000_a.up.sql"];
    assert_eq!(
        next_versions(GolangMigrate, &past, NOW, 2),
        [NOW, "20240601120001"]
    );
    let future = ["m/20300101235959_a.sql"];
    assert_eq!(
        next_versions(Dbmate, &future, NOW, 2),
        ["20300102000000", "20300102000001"]
    );
    // Goose migrations may also be Go files; their versions count too.
    assert_eq!(
        next_versions(Goose, &["m/20300101000000_a.go"], NOW, 1),
        ["20300101000001"]
    );
}

#[test]
fn diesel_versions_are_diesel_timestamps() {
    let existing = [
        "m/00000000000000_diesel_initial_setup/up.sql",
        "m/2024-01-01-000000_a/up.sql",
    ];
    assert_eq!(
        next_versions(Diesel, &existing, NOW, 2),
        ["2024-06-01-120000", "2024-06-01-120001"]
    );
    let future = ["m/2030-01-01-000000_a/up.sql"];
    assert_eq!(
        next_versions(Diesel, &future, NOW, 1),
        ["2030-01-01-000001"]
    );
}

#[test]
fn flyway_versions_are_the_next_major_alone() {
    let existing = [
        "m/V1__a.sql",
        "m/V2_1__b.sql",
        "m/V12.3.4__c.sql",
        "m/U12.3.4__c.sql",
        "m/R__views.sql",
    ];
    assert_eq!(next_versions(Flyway, &existing, NOW, 2), ["13", "14"]);
}

#[test]
fn sql_migrate_names_follow_the_newest_file() {
    let numbered = ["m/1-init.sql", "m/2_add_email.sql"];
    let mut namer = Namer::new(&dir(SqlMigrate, "m"), &[], &strings(&numbered));
    assert_eq!((namer.next(at(NOW)).as_str(), namer.sep), ("3", "_"));
    let stamped = ["m/20240101000000-init.sql", "m/schema-notes.sql"];
    let mut namer = Namer::new(&dir(SqlMigrate, "m"), &[], &strings(&stamped));
    assert_eq!((namer.next(at(NOW)).as_str(), namer.sep), (NOW, "-"));
}

// --- Undo: two-file systems ------------------------------------------------------------

fn golang_repo() -> Repo {
    Repo::new(&[
        (
            "db/migrations/000001_create_users.up.sql",
            "CREATE TABLE users (id int);\n",
        ),
        (
            "db/migrations/000001_create_users.down.sql",
            "DROP TABLE users;\n",
        ),
        (
            "db/migrations/000002_add_name.up.sql",
            "ALTER TABLE users ADD COLUMN name text;\n",
        ),
        (
            "db/migrations/000002_add_name.down.sql",
            "ALTER TABLE users DROP COLUMN name;\n",
        ),
        (
            "db/migrations/000003_Add_Email.up.sql",
            "\n\nALTER TABLE users ADD COLUMN email text;\n\n",
        ),
        (
            "db/migrations/000003_Add_Email.down.sql",
            "ALTER TABLE users DROP COLUMN email;\n",
        ),
    ])
}

#[test]
fn golang_migrate_undo_swaps_up_and_down() {
    let repo = golang_repo();
    let added = [
        "db/migrations/000003_Add_Email.up.sql",
        "db/migrations/000003_Add_Email.down.sql",
    ];
    let undos = undo_of(&repo, &dir(GolangMigrate, "db/migrations"), &added, false).unwrap();
    assert_eq!(undos.len(), 1);
    assert!(!undos[0].manual);
    assert_eq!(undos[0].migration.id, "000003_Add_Email");
    assert_eq!(
        undos[0].files,
        [
            new_file(
                "db/migrations/000004_undo_add_email.up.sql",
                "-- Undo migration 000003_Add_Email (roll-forward of abc1234)\n\
                     ALTER TABLE users DROP COLUMN email;\n"
            ),
            new_file(
                "db/migrations/000004_undo_add_email.down.sql",
                "-- Undo migration 000003_Add_Email (roll-forward of abc1234)\n\
                     ALTER TABLE users ADD COLUMN email text;\n"
            ),
        ]
    );
}

#[test]
fn several_undos_go_newest_first_with_consecutive_versions() {
    let repo = golang_repo();
    let added = [
        "db/migrations/000002_add_name.up.sql",
        "db/migrations/000002_add_name.down.sql",
        "db/migrations/000003_Add_Email.up.sql",
        "db/migrations/000003_Add_Email.down.sql",
    ];
    let undos = undo_of(&repo, &dir(GolangMigrate, "db/migrations"), &added, false).unwrap();
    let ids: Vec<&str> = undos.iter().map(|u| u.migration.id.as_str()).collect();
    assert_eq!(ids, ["000003_Add_Email", "000002_add_name"]);
    assert_eq!(
        new_paths(&undos),
        [
            "db/migrations/000004_undo_add_email.up.sql",
            "db/migrations/000004_undo_add_email.down.sql",
            "db/migrations/000005_undo_add_name.up.sql",
            "db/migrations/000005_undo_add_name.down.sql",
        ]
    );
}

#[test]
fn undos_in_two_dirs_each_count_in_their_own_dir() {
    let repo = Repo::new(&[
        ("a/000007_x.up.sql", "CREATE TABLE x (id int);"),
        ("a/000007_x.down.sql", "DROP TABLE x;"),
        (
            "b/20240101000000_y.sql",
            "-- migrate:up\nCREATE TABLE y (id int);\n-- migrate:down\nDROP TABLE y;\n",
        ),
    ]);
    let mut migrations = added_migrations(&dir(Dbmate, "b"), &repo.paths());
    migrations.extend(added_migrations(&dir(GolangMigrate, "a"), &repo.paths()));
    let undos = plan_undo(
        &migrations,
        &repo.paths(),
        &|p| repo.read(p),
        at(NOW),
        SHA,
        false,
    )
    .unwrap();
    assert_eq!(
        new_paths(&undos),
        [
            "b/20240601120000_undo_y.sql",
            "a/000008_undo_x.up.sql",
            "a/000008_undo_x.down.sql"
        ]
    );
}

#[test]
fn sqlx_one_file_migrations_have_no_down_part() {
    let repo = Repo::new(&[
        ("Cargo.toml", "[dependencies]\nsqlx = \"0.8\"\n"),
        (
            "migrations/20240101000000_seed.sql",
            "INSERT INTO users VALUES (1);\n",
        ),
    ]);
    let sqlx = dir(Sqlx, "migrations");
    assert_eq!(repo.detect(), [dir(Sqlx, "migrations")]);
    let added = ["migrations/20240101000000_seed.sql"];
    let refused = undo_of(&repo, &sqlx, &added, false).unwrap_err();
    assert!(
        refused
            .0
            .starts_with("migration 20240101000000_seed has no down part"),
        "{refused}"
    );
    let undos = undo_of(&repo, &sqlx, &added, true).unwrap();
    assert!(undos[0].manual);
    assert_eq!(
        new_paths(&undos),
        ["migrations/20240601120000_undo_seed.sql"]
    );
}

#[test]
fn diesel_undo_is_a_new_folder() {
    let repo = Repo::new(&[
        (
            "migrations/00000000000000_diesel_initial_setup/up.sql",
            "-- setup\n",
        ),
        (
            "migrations/00000000000000_diesel_initial_setup/down.sql",
            "-- setup\n",
        ),
        (
            "migrations/2030-01-01-000000_add_email/up.sql",
            "ALTER TABLE users ADD COLUMN email text;\n",
        ),
        (
            "migrations/2030-01-01-000000_add_email/down.sql",
            "ALTER TABLE users DROP COLUMN email;\n",
        ),
    ]);
    let added = [
        "migrations/2030-01-01-000000_add_email/up.sql",
        "migrations/2030-01-01-000000_add_email/down.sql",
    ];
    let undos = undo_of(&repo, &dir(Diesel, "migrations"), &added, false).unwrap();
    assert_eq!(
        undos[0].files,
        [
            new_file(
                "migrations/2030-01-01-000001_undo_add_email/up.sql",
                "-- Undo migration 2030-01-01-000000_add_email (roll-forward of abc1234)\n\
                     ALTER TABLE users DROP COLUMN email;\n"
            ),
            new_file(
                "migrations/2030-01-01-000001_undo_add_email/down.sql",
                "-- Undo migration 2030-01-01-000000_add_email (roll-forward of abc1234)\n\
                     ALTER TABLE users ADD COLUMN email text;\n"
            ),
        ]
    );
}

#[test]
fn flyway_undo_is_the_u_file_as_a_new_version() {
    let repo = Repo::new(&[
        (
            "db/migration/V1__create_users.sql",
            "CREATE TABLE users (id int);\n",
        ),
        (
            "db/migration/V2_1__Add_Users_Email.sql",
            "ALTER TABLE users ADD COLUMN email text;\n",
        ),
        (
            "db/migration/U2.1__Add_Users_Email.sql",
            "ALTER TABLE users DROP COLUMN email;\n",
        ),
        (
            "db/migration/V12__add_index.sql",
            "CREATE INDEX users_id ON users (id);\n",
        ),
    ]);
    // The U file was written in an earlier commit; only the V file is being rolled forward.
    let undos = undo_of(
        &repo,
        &dir(Flyway, "db/migration"),
        &["db/migration/V2_1__Add_Users_Email.sql"],
        false,
    )
    .unwrap();
    assert_eq!(
        undos[0].files,
        [
            new_file(
                "db/migration/V13__undo_add_users_email.sql",
                "-- Undo migration V2_1__Add_Users_Email.sql (roll-forward of abc1234)\n\
                     ALTER TABLE users DROP COLUMN email;\n"
            ),
            new_file(
                "db/migration/U13__undo_add_users_email.sql",
                "-- Undo migration V2_1__Add_Users_Email.sql (roll-forward of abc1234)\n\
                     ALTER TABLE users ADD COLUMN email text;\n"
            ),
        ]
    );
}

#[test]
fn flyway_without_a_u_file_is_forward_only() {
    let repo = Repo::new(&[(
        "db/migration/V12__add_index.sql",
        "CREATE INDEX users_id ON users (id);\n",
    )]);
    let flyway = dir(Flyway, "db/migration");
    let added = ["db/migration/V12__add_index.sql"];
    assert_eq!(
        undo_of(&repo, &flyway, &added, false)
            .unwrap_err()
            .to_string(),
        "migration V12__add_index.sql has no down part, so it cannot be undone automatically; \
             write the undo by hand or pass --allow-manual-undo"
    );
    let undos = undo_of(&repo, &flyway, &added, true).unwrap();
    assert!(undos[0].manual);
    assert_eq!(
        new_paths(&undos),
        ["db/migration/V13__undo_add_index.sql"],
        "no U file for a TODO"
    );
    assert!(undos[0].files[0].content.starts_with(
        "-- TODO: MANUAL UNDO REQUIRED for migration V12__add_index.sql (roll-forward of abc1234)\n"
    ));
}

// --- Undo: single-file systems ---------------------------------------------------------

#[test]
fn dbmate_undo_swaps_sections_with_their_options() {
    let repo = Repo::new(&[(
        "db/migrations/20240201000000_add_email.sql",
        "-- migrate:up transaction:false\nALTER TABLE users ADD COLUMN email text;\n\n\
                 -- migrate:down\nALTER TABLE users DROP COLUMN email;\n",
    )]);
    let undos = undo_of(
        &repo,
        &dir(Dbmate, "db/migrations"),
        &["db/migrations/20240201000000_add_email.sql"],
        false,
    )
    .unwrap();
    assert_eq!(
        undos[0].files,
        [new_file(
            "db/migrations/20240601120000_undo_add_email.sql",
            "-- migrate:up\n\
                 -- Undo migration 20240201000000_add_email.sql (roll-forward of abc1234)\n\
                 ALTER TABLE users DROP COLUMN email;\n\
                 \n\
                 -- migrate:down transaction:false\n\
                 ALTER TABLE users ADD COLUMN email text;\n"
        )]
    );
}

#[test]
fn goose_undo_keeps_statement_blocks_and_file_annotations() {
    let original = "-- +goose NO TRANSACTION\n\
                        -- adds the audit trigger\n\
                        -- +goose Up\n\
                        -- +goose StatementBegin\n\
                        CREATE TRIGGER audit AFTER INSERT ON users\n\
                        BEGIN\n    INSERT INTO log VALUES (new.id);\nEND;\n\
                        -- +goose StatementEnd\n\
                        \n\
                        -- +goose Down\n\
                        -- +goose StatementBegin\n\
                        DROP TRIGGER audit;\n\
                        -- +goose StatementEnd\n";
    let repo = Repo::new(&[
        ("db/00001_users.sql", "-- +goose Up\nSELECT 1;\n"),
        ("db/00002_audit.sql", original),
    ]);
    let undos = undo_of(&repo, &dir(Goose, "db"), &["db/00002_audit.sql"], false).unwrap();
    assert_eq!(
        undos[0].files,
        [new_file(
            "db/00003_undo_audit.sql",
            "-- +goose NO TRANSACTION\n\
                 -- +goose Up\n\
                 -- Undo migration 00002_audit.sql (roll-forward of abc1234)\n\
                 -- +goose StatementBegin\n\
                 DROP TRIGGER audit;\n\
                 -- +goose StatementEnd\n\
                 \n\
                 -- +goose Down\n\
                 -- +goose StatementBegin\n\
                 CREATE TRIGGER audit AFTER INSERT ON users\n\
                 BEGIN\n    INSERT INTO log VALUES (new.id);\nEND;\n\
                 -- +goose StatementEnd\n"
        )]
    );
}

#[test]
fn goose_go_migrations_need_a_manual_undo() {
    let repo = Repo::new(&[("db/00002_backfill.go", "package db\n")]);
    let goose = dir(Goose, "db");
    let refused = undo_of(&repo, &goose, &["db/00002_backfill.go"], false).unwrap_err();
    assert!(
        refused
            .0
            .starts_with("migration 00002_backfill.go is Go code, not SQL"),
        "{refused}"
    );
    let undos = undo_of(&repo, &goose, &["db/00002_backfill.go"], true).unwrap();
    let content = &undos[0].files[0].content;
    assert_eq!(undos[0].files[0].path, "db/00003_undo_backfill.sql");
    assert!(content.starts_with(
        "-- +goose Up\n-- TODO: MANUAL UNDO REQUIRED for migration 00002_backfill.go"
    ));
    assert!(
        content.contains("-- Read db/00002_backfill.go to see what it did."),
        "{content}"
    );
    assert!(!content.contains("+goose Down"), "{content}");
}

#[test]
fn sql_migrate_undo_keeps_the_name_style() {
    let repo = Repo::new(&[
        (
            "migrations/1-create-users.sql",
            "-- +migrate Up\nCREATE TABLE users (id int);\n",
        ),
        (
            "migrations/2-add-email.sql",
            "-- +migrate Up notransaction\nALTER TABLE users ADD COLUMN email text;\n\
                 -- +migrate Down\nALTER TABLE users DROP COLUMN email;\n",
        ),
    ]);
    let undos = undo_of(
        &repo,
        &dir(SqlMigrate, "migrations"),
        &["migrations/2-add-email.sql"],
        false,
    )
    .unwrap();
    assert_eq!(
        undos[0].files,
        [new_file(
            "migrations/3-undo-add-email.sql",
            "-- +migrate Up\n\
                 -- Undo migration 2-add-email.sql (roll-forward of abc1234)\n\
                 ALTER TABLE users DROP COLUMN email;\n\
                 \n\
                 -- +migrate Down notransaction\n\
                 ALTER TABLE users ADD COLUMN email text;\n"
        )]
    );
}

// --- Forward-only ----------------------------------------------------------------------

#[test]
fn plain_sql_is_refused_with_a_message_that_says_what_to_do() {
    let repo = Repo::new(&[
        (
            "db/migrations/0002-create-users.sql",
            "CREATE TABLE users (id int);\n",
        ),
        (
            "db/migrations/0003-add-index.sql",
            "CREATE INDEX users_id ON users (id);\n",
        ),
    ]);
    let err = undo_of(
        &repo,
        &dir(PlainSql, "db/migrations"),
        &["db/migrations/0003-add-index.sql"],
        false,
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "migration 0003-add-index.sql has no down part, so it cannot be undone automatically; \
             write the undo by hand or pass --allow-manual-undo"
    );
}

#[test]
fn allow_manual_writes_a_todo_that_fails_until_written() {
    let repo = Repo::new(&[(
        "db/migrations/0003-add-index.sql",
        "CREATE INDEX users_id ON users (id);\n",
    )]);
    let undos = undo_of(
        &repo,
        &dir(PlainSql, "db/migrations"),
        &["db/migrations/0003-add-index.sql"],
        true,
    )
    .unwrap();
    assert!(undos[0].manual);
    assert_eq!(
        undos[0].files,
        [new_file(
            "db/migrations/0004-undo-add-index.sql",
            "-- TODO: MANUAL UNDO REQUIRED for migration 0003-add-index.sql (roll-forward of abc1234)\n\
                 -- Undo migration 0003-add-index.sql (roll-forward of abc1234)\n\
                 --\n\
                 -- Migration 0003-add-index.sql already ran in production, and rolling forward\n\
                 -- removes the commit that added it, but it has no down part, so its undo\n\
                 -- could not be written automatically. Replace the failing statement at the end with\n\
                 -- SQL that reverses what the migration did, then delete these TODO lines.\n\
                 --\n\
                 -- What it did:\n\
                 --\n\
                 --   CREATE INDEX users_id ON users (id);\n\
                 SELECT * FROM \"TODO: write the undo of 0003-add-index.sql\";\n"
        )]
    );
}

#[test]
fn a_down_part_of_only_comments_counts_as_none() {
    let repo = Repo::new(&[
        ("m/000001_a.up.sql", "CREATE TABLE a (id int);\n"),
        ("m/000001_a.down.sql", "-- nothing to do\n/* really */\n\n"),
        (
            "m/20240101000000_b.sql",
            "-- migrate:up\nCREATE TABLE b (id int);\n-- migrate:down\n\n",
        ),
    ]);
    let err = undo_of(
        &repo,
        &dir(GolangMigrate, "m"),
        &["m/000001_a.up.sql", "m/000001_a.down.sql"],
        false,
    )
    .unwrap_err();
    assert!(
        err.0
            .starts_with("migration 000001_a has an empty down part, so"),
        "{err}"
    );
    let undos = undo_of(
        &repo,
        &dir(GolangMigrate, "m"),
        &["m/000001_a.up.sql"],
        true,
    )
    .unwrap();
    assert_eq!(
        new_paths(&undos),
        ["m/000002_undo_a.up.sql", "m/000002_undo_a.down.sql"]
    );
    assert!(
        undos[0].files[0]
            .content
            .contains("it has an empty down part")
    );
    let err = undo_of(&repo, &dir(Dbmate, "m"), &["m/20240101000000_b.sql"], false).unwrap_err();
    assert!(
        err.0
            .starts_with("migration 20240101000000_b.sql has an empty down part"),
        "{err}"
    );
}

#[test]
fn every_refused_migration_is_named_at_once() {
    let repo = Repo::new(&[
        ("m/001_a.sql", "CREATE TABLE a (id int);\n"),
        ("m/002_b.sql", "CREATE TABLE b (id int);\n"),
    ]);
    let err = undo_of(
        &repo,
        &dir(PlainSql, "m"),
        &["m/001_a.sql", "m/002_b.sql"],
        false,
    )
    .unwrap_err();
    assert_eq!(
        err.0,
        "2 migrations cannot be undone automatically (002_b.sql has no down part, \
             001_a.sql has no down part); write their undo by hand or pass --allow-manual-undo"
    );
}

#[test]
fn malformed_input_is_an_error_not_a_panic() {
    let goose = dir(Goose, "db");
    let repo = Repo::new(&[("db/00001_a.sql", "CREATE TABLE a (id int);\n")]);
    let err = undo_of(&repo, &goose, &["db/00001_a.sql"], false).unwrap_err();
    assert!(
        err.0
            .starts_with("migration 00001_a.sql has no `-- +goose Up` line"),
        "{err}"
    );

    let repo = Repo::new(&[(
        "db/00001_a.sql",
        "-- +goose Up\nSELECT 1;\n-- +goose Up\nSELECT 2;\n",
    )]);
    let err = undo_of(&repo, &goose, &["db/00001_a.sql"], false).unwrap_err();
    assert!(err.0.contains("has two `-- +goose Up` lines"), "{err}");

    let unreadable = Repo::default();
    let err = undo_of(&unreadable, &goose, &["db/00001_a.sql"], false).unwrap_err();
    assert_eq!(
        err.0,
        "cannot read db/00001_a.sql, a file of migration 00001_a.sql"
    );

    let stray = Migration {
        dir: goose.clone(),
        id: "x".to_string(),
        version: String::new(),
        name: "x".to_string(),
        files: vec![],
    };
    let err = plan_undo(&[stray], &[], &|_| None, at(NOW), SHA, true).unwrap_err();
    assert_eq!(err.0, "migration x has no goose migration file in db");
}

// --- Proofs on a real database ---------------------------------------------------------

/// A scratch SQLite database driven through the `sqlite3` binary.
struct Database {
    _dir: tempfile::TempDir,
    path: std::path::PathBuf,
}

impl Database {
    fn new() -> Database {
        if Command::new("sqlite3").arg("-version").output().is_err() {
            panic!(
                "sqlite3 is not installed, so the migration proofs cannot run; \
                     install it (apt-get install sqlite3) — CI does"
            );
        }
        let dir = tempfile::tempdir().expect("a temporary dir");
        let path = dir.path().join("app.db");
        Database { _dir: dir, path }
    }

    fn try_run(&self, sql: &str) -> Result<String, String> {
        let mut child = Command::new("sqlite3")
            .arg("-bail")
            .arg(&self.path)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("sqlite3 starts");
        child
            .stdin
            .take()
            .expect("stdin is piped")
            .write_all(sql.as_bytes())
            .expect("sqlite3 reads the SQL");
        let output = child.wait_with_output().expect("sqlite3 finishes");
        let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
        if output.status.success() && stderr.is_empty() {
            Ok(String::from_utf8_lossy(&output.stdout).into_owned())
        } else {
            Err(stderr)
        }
    }

    fn run(&self, sql: &str) {
        if let Err(err) = self.try_run(sql) {
            panic!("sqlite3 rejected\n{sql}\n{err}");
        }
    }

    fn schema(&self) -> String {
        let query = "SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY name;";
        self.try_run(query).expect("the schema reads")
    }
}

const CREATE_USERS: &str = "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL);";
const DROP_USERS: &str = "DROP TABLE users;";
const ADD_EMAIL: &str = "ALTER TABLE users ADD COLUMN email TEXT;";
const DROP_EMAIL: &str = "ALTER TABLE users DROP COLUMN email;";
// SQLite refuses to drop an indexed column, so undoing these out of order fails.
const ADD_SESSIONS: &str = "CREATE INDEX users_email ON users (email);\n\
                                CREATE TABLE sessions (\n    \
                                    id INTEGER PRIMARY KEY,\n    \
                                    user_id INTEGER NOT NULL REFERENCES users (id)\n\
                                );";
const DROP_SESSIONS: &str = "DROP TABLE sessions;\nDROP INDEX users_email;";
const ADD_SESSIONS_GOOSE: &str = "CREATE INDEX users_email ON users (email);\n\
                                      -- +goose StatementBegin\n\
                                      CREATE TRIGGER users_upper AFTER INSERT ON users\n\
                                      BEGIN\n    \
                                          UPDATE users SET name = upper(new.name) WHERE id = new.id;\n\
                                      END;\n\
                                      -- +goose StatementEnd";
const DROP_SESSIONS_GOOSE: &str = "DROP TRIGGER users_upper;\nDROP INDEX users_email;";

/// The same history in each system's layout: a users table, then two bad migrations (a
/// column; an index on it and a table or trigger).
fn history(system: System) -> Repo {
    let (sessions_up, sessions_down) = match system {
        Goose => (ADD_SESSIONS_GOOSE, DROP_SESSIONS_GOOSE),
        _ => (ADD_SESSIONS, DROP_SESSIONS),
    };
    let steps = [
        ("create_users", CREATE_USERS, DROP_USERS),
        ("add_email", ADD_EMAIL, DROP_EMAIL),
        ("add_sessions", sessions_up, sessions_down),
    ];
    let mut repo = Repo::default();
    match system {
        Sqlx => repo.put(
            "Cargo.toml",
            "[dependencies]\nsqlx = { version = \"0.8\" }\n",
        ),
        Diesel => {
            repo.put(
                "migrations/00000000000000_diesel_initial_setup/up.sql",
                "-- setup\n",
            );
            repo.put(
                "migrations/00000000000000_diesel_initial_setup/down.sql",
                "-- setup\n",
            );
        }
        _ => {}
    }
    for (n, (name, up, down)) in (1..).zip(steps) {
        let sections = |tag: &str, up_word: &str, down_word: &str| {
            format!("-- {tag}{up_word}\n{up}\n\n-- {tag}{down_word}\n{down}\n")
        };
        match system {
            GolangMigrate => {
                repo.put(&format!("db/migrations/{n:06}_{name}.up.sql"), up);
                repo.put(&format!("db/migrations/{n:06}_{name}.down.sql"), down);
            }
            Sqlx => {
                repo.put(&format!("migrations/2024010{n}000000_{name}.up.sql"), up);
                repo.put(
                    &format!("migrations/2024010{n}000000_{name}.down.sql"),
                    down,
                );
            }
            Diesel => {
                repo.put(&format!("migrations/2024-01-0{n}-000000_{name}/up.sql"), up);
                repo.put(
                    &format!("migrations/2024-01-0{n}-000000_{name}/down.sql"),
                    down,
                );
            }
            Dbmate => repo.put(
                &format!("db/migrations/2024010{n}000000_{name}.sql"),
                &sections("migrate:", "up", "down"),
            ),
            Goose => repo.put(
                &format!("db/migrations/{n:05}_{name}.sql"),
                &sections("+goose ", "Up", "Down"),
            ),
            SqlMigrate => repo.put(
                &format!("migrations/{n}-{}.sql", name.replace('_', "-")),
                &sections("+migrate ", "Up", "Down"),
            ),
            Flyway => {
                let version = ["1", "1.1", "2"][n - 1];
                repo.put(
                    &format!("src/main/resources/db/migration/V{version}__{name}.sql"),
                    up,
                );
                repo.put(
                    &format!("src/main/resources/db/migration/U{version}__{name}.sql"),
                    down,
                );
            }
            PlainSql => repo.put(&format!("db/migrations/{n:03}-{name}.sql"), up),
            _ => unreachable!("{system} is not an SQL system"),
        }
    }
    repo
}

fn part(repo: &Repo, migration: &Migration, direction: Direction) -> String {
    let original =
        Original::read(migration, &repo.paths(), &|path| repo.read(path)).expect("readable");
    let half = match direction {
        Direction::Up => original.up,
        Direction::Down => original.down,
    };
    half.expect("the migration has that part").body
}

/// Applies a system's history to SQLite, then the planned undo of its two bad migrations,
/// and checks the schema is back to what it was before them — and that the undo's own
/// down part brings them back.
fn prove_undo_restores_the_schema(system: System) {
    let repo = history(system);
    let dirs = repo.detect();
    assert_eq!(dirs.iter().map(|d| d.system).collect::<Vec<_>>(), [system]);
    let dir = &dirs[0];
    let all = added_migrations(dir, &repo.paths());
    let (good, bad) = all.split_at(all.len() - 2);

    let db = Database::new();
    for migration in good {
        db.run(&part(&repo, migration, Direction::Up));
    }
    let before = db.schema();
    for migration in bad {
        db.run(&part(&repo, migration, Direction::Up));
    }
    let broken = db.schema();
    assert_ne!(before, broken, "the bad migrations change the schema");

    let undos = plan_undo(
        bad,
        &repo.paths(),
        &|path| repo.read(path),
        at(NOW),
        SHA,
        false,
    )
    .expect("the undo is planned");
    let mut after = repo.clone();
    let mut applied = Vec::new();
    for undo in &undos {
        after.add(&undo.files);
        let paths: Vec<String> = undo.files.iter().map(|file| file.path.clone()).collect();
        let mut found = added_migrations(dir, &paths);
        assert_eq!(
            found.len(),
            1,
            "{system} reads the undo as one migration: {paths:?}"
        );
        applied.extend(found.pop());
    }
    assert_eq!(after.detect(), dirs, "the undo keeps the dir {system}'s");
    let in_system_order = added_migrations(dir, &after.paths());
    assert_eq!(
        in_system_order[in_system_order.len() - 2..],
        applied[..],
        "{system} runs them in this order"
    );

    for migration in &applied {
        db.run(&part(&after, migration, Direction::Up));
    }
    assert_eq!(
        db.schema(),
        before,
        "{system}: the undo restores the schema"
    );
    for migration in applied.iter().rev() {
        db.run(&part(&after, migration, Direction::Down));
    }
    assert_eq!(
        db.schema(),
        broken,
        "{system}: rolling the undo back re-applies the originals"
    );
}

#[test]
fn sqlite_proof_golang_migrate() {
    prove_undo_restores_the_schema(GolangMigrate);
}

#[test]
fn sqlite_proof_sqlx() {
    prove_undo_restores_the_schema(Sqlx);
}

#[test]
fn sqlite_proof_diesel() {
    prove_undo_restores_the_schema(Diesel);
}

#[test]
fn sqlite_proof_dbmate() {
    prove_undo_restores_the_schema(Dbmate);
}

#[test]
fn sqlite_proof_goose() {
    prove_undo_restores_the_schema(Goose);
}

#[test]
fn sqlite_proof_sql_migrate() {
    prove_undo_restores_the_schema(SqlMigrate);
}

#[test]
fn sqlite_proof_flyway() {
    prove_undo_restores_the_schema(Flyway);
}

#[test]
fn sqlite_proof_manual_undo_fails_until_written() {
    let repo = history(PlainSql);
    let dir = dir(PlainSql, "db/migrations");
    let all = added_migrations(&dir, &repo.paths());
    let db = Database::new();
    for migration in &all {
        db.run(&part(&repo, migration, Direction::Up));
    }
    let schema = db.schema();
    let undos = plan_undo(
        &all[2..],
        &repo.paths(),
        &|path| repo.read(path),
        at(NOW),
        SHA,
        true,
    )
    .unwrap();
    assert_eq!(
        new_paths(&undos),
        ["db/migrations/004-undo_add_sessions.sql"]
    );
    let err = db
        .try_run(&undos[0].files[0].content)
        .expect_err("a TODO undo must not apply");
    assert!(
        err.contains("no such table: TODO: write the undo of 003-add_sessions.sql"),
        "{err}"
    );
    assert_eq!(db.schema(), schema);
}

// --- Properties ------------------------------------------------------------------------

fn sql_line() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec![
        "CREATE TABLE t (id int);",
        "ALTER TABLE t ADD COLUMN c text;",
        "    x int,",
        "-- a comment",
        "",
        "-- +goose StatementBegin",
        "-- +goose StatementEnd",
        "/* block */ DROP TABLE t;",
    ])
}

proptest! {
    #[test]
    fn increment_adds_one(n in 0u64..u64::MAX) {
        prop_assert_eq!(increment(&n.to_string()), (n + 1).to_string());
    }

    #[test]
    fn next_sequence_is_after_every_version_and_keeps_the_width(
        existing in prop::collection::vec(0u32..999_999, 1..20),
        width in 1usize..8,
    ) {
        let files: Vec<String> =
            existing.iter().map(|n| format!("m/{n:0width$}_x.up.sql")).collect();
        let next = Namer::new(&dir(GolangMigrate, "m"), &[], &files).next(at(NOW));
        for n in &existing {
            prop_assert!(Number::new(&next) > Number::new(&n.to_string()), "{next} after {n}");
        }
        let max = existing.iter().max().copied().unwrap_or(0);
        prop_assert_eq!(next.len(), width.max((max + 1).to_string().len()));
    }

    #[test]
    fn next_timestamps_are_times_after_the_clock_and_every_version(
        existing in prop::collection::vec(0i64..400_000_000, 1..10),
        clock in 0i64..400_000_000,
    ) {
        let base = at("20200101000000");
        let stamp = |seconds: i64| {
            (base + TimeDelta::seconds(seconds)).format(TIMESTAMP).to_string()
        };
        let files: Vec<String> =
            existing.iter().map(|&s| format!("m/{}_x.sql", stamp(s))).collect();
        let mut namer = Namer::new(&dir(Dbmate, "m"), &[], &files);
        let mut previous: Option<String> = None;
        for _ in 0..3 {
            // Same-width digits: comparing the text compares the times.
            let next = namer.next(base + TimeDelta::seconds(clock));
            prop_assert!(parse_timestamp(&next).is_some(), "{next} is a time");
            prop_assert!(next >= stamp(clock), "{next} is not before the clock");
            for &s in &existing {
                prop_assert!(next > stamp(s), "{next} after {}", stamp(s));
            }
            if let Some(previous) = &previous {
                prop_assert!(next > *previous, "{next} after {previous}");
            }
            previous = Some(next);
        }
    }

    #[test]
    fn undoing_the_undo_gives_back_the_original(
        up in prop::collection::vec(sql_line(), 1..6),
        down in prop::collection::vec(sql_line(), 1..6),
    ) {
        let (up, down) = (up.join("\n"), down.join("\n"));
        prop_assume!(!is_blank_sql(&up) && !is_blank_sql(&down));
        let goose = dir(Goose, "db");
        let original = format!("-- +goose Up\n{up}\n-- +goose Down\n{down}\n");
        let mut repo = Repo::new(&[("db/00001_x.sql", &original)]);
        let first = undo_of(&repo, &goose, &["db/00001_x.sql"], false).unwrap();
        repo.add(&first[0].files);
        let second = undo_of(&repo, &goose, &[first[0].files[0].path.as_str()], false).unwrap();
        repo.add(&second[0].files);
        let found = added_migrations(&goose, &strings(&["db/00003_undo_undo_x.sql"]));
        let [again] = &found[..] else {
            panic!("the second undo is 00003_undo_undo_x.sql: {:?}", new_paths(&second));
        };
        let header = |id: &str| format!("-- Undo migration {id} (roll-forward of {SHA})");
        let again_up = part(&repo, again, Direction::Up);
        let again_down = part(&repo, again, Direction::Down);
        prop_assert_eq!(
            tidy(&again_up),
            format!("{}\n{}", header("00002_undo_x.sql"), tidy(&up))
        );
        prop_assert_eq!(
            tidy(&again_down),
            format!("{}\n{}", header("00001_x.sql"), tidy(&down))
        );
    }

    #[test]
    fn only_comments_and_whitespace_are_blank(
        pieces in prop::collection::vec(
            prop::sample::select(vec![
                "-- note\n", "--\n", "/* block */", "/* two\nlines */", "  ", "\n\t",
            ]),
            0..8,
        ),
        statement in prop::sample::select(vec!["SELECT 1;", "DROP TABLE t;", "x"]),
    ) {
        let blank = pieces.concat();
        prop_assert!(is_blank_sql(&blank));
        let with_statement = format!("{blank}{statement}");
        prop_assert!(!is_blank_sql(&with_statement));
    }
}

// --- The safety net --------------------------------------------------------------------------

#[test]
fn unclaimed_names_migration_like_paths_outside_every_known_dir() {
    let changed = strings(&[
        "app/migrations/0002_email.py",
        "db/migrate/20240101000000_x.rb",
        "alembic/versions/abc_x.py",
        "db/migrations/000002_x.up.sql",
        "src/app.rs",
        "docs/migrations.md",
        "migrations_old/1.sql",
        "lib/migrations/__init__.py",
        "db/migrate/.keep",
        "x/versions/README.md",
    ]);
    assert_eq!(
        unclaimed(&changed, &["db/migrations"]),
        strings(&[
            "alembic/versions/abc_x.py",
            "app/migrations/0002_email.py",
            "db/migrate/20240101000000_x.rb",
        ])
    );
    assert!(
        unclaimed(&changed, &[""]).is_empty(),
        "the root claims everything"
    );
}

#[test]
fn a_manual_undo_for_an_unknown_migration_is_in_its_language_and_fails() {
    let todo = manual_for_unknown("app/migrations/0002_email.py", "abc1234");
    assert_eq!(todo.path, "app/migrations/0002_email_undo.py");
    assert!(
        todo.content.starts_with(
            "# TODO: MANUAL UNDO REQUIRED for 0002_email.py (roll-forward of abc1234)\n"
        )
    );
    assert!(
        todo.content
            .ends_with("raise RuntimeError(\"TODO: write the undo of 0002_email.py\")\n")
    );
    let sql = manual_for_unknown("db/migrations/7 x.sql", "abc1234");
    assert_eq!(sql.path, "db/migrations/7 x_undo.sql");
    assert!(
        sql.content
            .contains("SELECT * FROM \"TODO: write the undo of 7_x.sql\";")
    );
}

#[test]
fn a_newline_in_a_file_name_does_not_end_a_comment() {
    let dir = dir(GolangMigrate, "db");
    let name = "000002_x\nDROP TABLE users;";
    let repo = Repo::new(&[
        (&format!("db/{name}.up.sql"), "CREATE TABLE t (id INT);"),
        (&format!("db/{name}.down.sql"), "DROP TABLE t;"),
    ]);
    let added = [format!("db/{name}.up.sql"), format!("db/{name}.down.sql")];
    let added: Vec<&str> = added.iter().map(String::as_str).collect();
    for allow_manual in [false, true] {
        let undos = undo_of(&repo, &dir, &added, allow_manual).unwrap();
        for file in undos.iter().flat_map(|u| &u.files) {
            assert!(
                !file
                    .content
                    .lines()
                    .any(|l| l.starts_with("DROP TABLE users")),
                "{}",
                file.content
            );
        }
    }
}
