//! `git release rollforward` on repositories shaped like real projects of each migration
//! system: the applied migration is kept, the undo is added in the system's own form, and
//! what no system claims is refused with nothing written.

use crate::common::TestEnv;

const BRANCH: &str = "rollforward/2026-11-20";

/// A project: `base` committed, then `bad` (with an app change) committed as the bad commit,
/// and a release started on it. Returns the env and the bad commit.
fn project(base: &[(&str, &str)], bad: &[(&str, &str)]) -> (TestEnv, String) {
    let env = TestEnv::new();
    for (path, text) in base {
        env.write(path, text);
    }
    env.write("app.txt", "v1\n");
    env.commit_all("Base");
    for (path, text) in bad {
        env.write(path, text);
    }
    env.write("app.txt", "v2\n");
    let bad = env.commit_all("Bad");
    env.ok(&["start", "--date", "2026-11-20"]);
    (env, bad)
}

fn roll_forward(env: &TestEnv, bad: &str, extra: &[&str]) -> (i32, String, String) {
    let mut args = vec!["rollforward", bad, "--force", "--reason", "t"];
    args.extend(extra);
    env.run(&args)
}

/// The paths the roll-forward branch adds to the bad commit's tree, with their content.
fn added(env: &TestEnv, bad: &str) -> Vec<(String, String)> {
    env.git(&["diff", "--name-only", "--diff-filter=A", bad, BRANCH])
        .lines()
        .map(|path| {
            let text = env.git(&["show", &format!("{BRANCH}:{path}")]);
            (path.to_owned(), text)
        })
        .collect()
}

/// `path` is on the roll-forward branch exactly as the bad commit has it.
fn kept(env: &TestEnv, bad: &str, path: &str) {
    assert_eq!(
        env.git(&["rev-parse", &format!("{BRANCH}:{path}")]),
        env.git(&["rev-parse", &format!("{bad}:{path}")]),
        "{path} is kept as it ran"
    );
}

/// The one file the roll-forward added, its name checked by `name`.
fn one_added(env: &TestEnv, bad: &str, name: impl Fn(&str) -> bool) -> (String, String) {
    let added = added(env, bad);
    assert_eq!(added.len(), 1, "{added:?}");
    let (path, text) = added.into_iter().next().unwrap();
    assert!(name(&path), "{path}");
    (path, text)
}

fn timestamp_after(name: &str, prefix: &str, digits_before: &str) -> bool {
    name.strip_prefix(prefix)
        .and_then(|rest| rest.get(..14))
        .is_some_and(|ts| ts.bytes().all(|b| b.is_ascii_digit()) && ts > digits_before)
}

#[test]
fn rails_undo_reverts_the_original_class_and_keeps_it() {
    let create = "class CreateUsers < ActiveRecord::Migration[7.1]\n  def change\n    create_table :users do |t|\n      t.string :name\n    end\n  end\nend\n";
    let add = "class AddEmailToUsers < ActiveRecord::Migration[7.1]\n  def change\n    add_column :users, :email, :string\n  end\nend\n";
    let (env, bad) = project(
        &[
            (
                "Gemfile",
                "source \"https://rubygems.org\"\ngem \"rails\", \"~> 7.1\"\n",
            ),
            ("db/migrate/20240101000000_create_users.rb", create),
            (
                "db/schema.rb",
                "ActiveRecord::Schema[7.1].define(version: 2024_01_01_000000) do\n  create_table \"users\" do |t|\n    t.string \"name\"\n  end\nend\n",
            ),
        ],
        &[
            ("db/migrate/20240102000000_add_email_to_users.rb", add),
            (
                "db/schema.rb",
                "ActiveRecord::Schema[7.1].define(version: 2024_01_02_000000) do\n  create_table \"users\" do |t|\n    t.string \"name\"\n    t.string \"email\"\n  end\nend\n",
            ),
        ],
    );
    let (code, _, err) = roll_forward(&env, &bad, &[]);
    assert_eq!(code, 0, "{err}");
    kept(
        &env,
        &bad,
        "db/migrate/20240102000000_add_email_to_users.rb",
    );
    // The schema dump is code: it is reverted with the rest.
    assert_eq!(
        env.git(&["show", &format!("{BRANCH}:db/schema.rb")]),
        env.git(&["show", &format!("{bad}~1:db/schema.rb")])
    );
    let (path, text) = one_added(&env, &bad, |p| {
        timestamp_after(p, "db/migrate/", "20240102000000")
            && p.ends_with("_undo_add_email_to_users.rb")
    });
    assert!(
        text.contains("require_relative \"20240102000000_add_email_to_users\"\n\nclass UndoAddEmailToUsers < ActiveRecord::Migration[7.1]\n  def change\n    revert AddEmailToUsers\n  end\nend"),
        "{path}:\n{text}"
    );
    let log = env.git(&["log", "--format=%s", &format!("{bad}..{BRANCH}")]);
    assert_eq!(
        log,
        format!(
            "Undo migration 20240102000000_add_email_to_users.rb (roll-forward of {})\nRevert \"Bad\"",
            &bad[..7]
        )
    );
}

#[test]
fn laravel_undo_runs_the_original_down() {
    let migration = |column: &str| {
        format!(
            "<?php\n\nuse Illuminate\\Database\\Migrations\\Migration;\nuse Illuminate\\Database\\Schema\\Blueprint;\nuse Illuminate\\Support\\Facades\\Schema;\n\nreturn new class extends Migration\n{{\n    public function up(): void\n    {{\n        Schema::table('users', function (Blueprint $table) {{\n            $table->string('{column}');\n        }});\n    }}\n\n    public function down(): void\n    {{\n        Schema::table('users', function (Blueprint $table) {{\n            $table->dropColumn('{column}');\n        }});\n    }}\n}};\n"
        )
    };
    let (env, bad) = project(
        &[
            ("artisan", "#!/usr/bin/env php\n<?php\n"),
            (
                "composer.json",
                "{\"require\": {\"laravel/framework\": \"^11.0\"}}\n",
            ),
            (
                "database/migrations/0001_01_01_000000_create_users_table.php",
                &migration("name"),
            ),
        ],
        &[(
            "database/migrations/2024_01_02_000000_add_email_to_users.php",
            &migration("email"),
        )],
    );
    let (code, _, err) = roll_forward(&env, &bad, &[]);
    assert_eq!(code, 0, "{err}");
    kept(
        &env,
        &bad,
        "database/migrations/2024_01_02_000000_add_email_to_users.php",
    );
    let (_, text) = one_added(&env, &bad, |p| {
        p.starts_with("database/migrations/20") && p.ends_with("_undo_add_email_to_users.php")
    });
    assert!(
        text.contains("(require __DIR__.'/2024_01_02_000000_add_email_to_users.php')->down();"),
        "{text}"
    );
}

#[test]
fn knex_undo_runs_the_original_down() {
    let (env, bad) = project(
        &[
            ("knexfile.js", "module.exports = { client: 'sqlite3' };\n"),
            (
                "migrations/20240101000000_create_users.js",
                "exports.up = (knex) => knex.schema.createTable('users', (t) => t.increments());\nexports.down = (knex) => knex.schema.dropTable('users');\n",
            ),
        ],
        &[(
            "migrations/20240102000000_add_email.js",
            "exports.up = (knex) => knex.schema.table('users', (t) => t.string('email'));\nexports.down = (knex) => knex.schema.table('users', (t) => t.dropColumn('email'));\n",
        )],
    );
    let (code, _, err) = roll_forward(&env, &bad, &[]);
    assert_eq!(code, 0, "{err}");
    kept(&env, &bad, "migrations/20240102000000_add_email.js");
    let (_, text) = one_added(&env, &bad, |p| {
        timestamp_after(p, "migrations/", "20240102000000") && p.ends_with("_undo_add_email.js")
    });
    assert!(
        text.contains("const original = require(\"./20240102000000_add_email.js\");\n\nexports.up = (knex) => original.down(knex);\nexports.down = (knex) => original.up(knex);"),
        "{text}"
    );
}

#[test]
fn ef_core_undo_derives_from_the_original_and_the_snapshot_follows_the_code() {
    let migration = "using Microsoft.EntityFrameworkCore.Migrations;\n\n#nullable disable\n\nnamespace Shop.Migrations\n{\n    /// <inheritdoc />\n    public partial class AddEmail : Migration\n    {\n        /// <inheritdoc />\n        protected override void Up(MigrationBuilder migrationBuilder)\n        {\n            migrationBuilder.AddColumn<string>(name: \"Email\", table: \"Users\", type: \"TEXT\", nullable: true);\n        }\n\n        /// <inheritdoc />\n        protected override void Down(MigrationBuilder migrationBuilder)\n        {\n            migrationBuilder.DropColumn(name: \"Email\", table: \"Users\");\n        }\n    }\n}\n";
    let initial = migration
        .replace("AddEmail", "Initial")
        .replace(
            "AddColumn<string>(name: \"Email\", table: \"Users\", type: \"TEXT\", nullable: true)",
            "CreateTable(name: \"Users\", columns: table => new { })",
        )
        .replace(
            "DropColumn(name: \"Email\", table: \"Users\")",
            "DropTable(name: \"Users\")",
        );
    let designer = |name: &str| {
        format!(
            "// <auto-generated />\nusing Microsoft.EntityFrameworkCore.Infrastructure;\nusing Microsoft.EntityFrameworkCore.Migrations;\n\nnamespace Shop.Migrations\n{{\n    [DbContext(typeof(ShopContext))]\n    [Migration(\"{name}\")]\n    partial class {} {{ }}\n}}\n",
            name.split('_').nth(1).unwrap()
        )
    };
    let snapshot = |columns: &str| {
        format!(
            "// <auto-generated />\nnamespace Shop.Migrations\n{{\n    partial class ShopContextModelSnapshot : ModelSnapshot\n    {{\n        // Users: {columns}\n    }}\n}}\n"
        )
    };
    let (env, bad) = project(
        &[
            (
                "Shop.csproj",
                "<Project Sdk=\"Microsoft.NET.Sdk\"></Project>\n",
            ),
            (
                "Models/User.cs",
                "public class User { public int Id { get; set; } }\n",
            ),
            ("Migrations/20240101000000_Initial.cs", &initial),
            (
                "Migrations/20240101000000_Initial.Designer.cs",
                &designer("20240101000000_Initial"),
            ),
            ("Migrations/ShopContextModelSnapshot.cs", &snapshot("Id")),
        ],
        &[
            (
                "Models/User.cs",
                "public class User { public int Id { get; set; } public string Email { get; set; } }\n",
            ),
            ("Migrations/20240102000000_AddEmail.cs", migration),
            (
                "Migrations/20240102000000_AddEmail.Designer.cs",
                &designer("20240102000000_AddEmail"),
            ),
            (
                "Migrations/ShopContextModelSnapshot.cs",
                &snapshot("Id, Email"),
            ),
        ],
    );
    let (code, _, err) = roll_forward(&env, &bad, &[]);
    assert_eq!(code, 0, "{err}");
    kept(&env, &bad, "Migrations/20240102000000_AddEmail.cs");
    kept(&env, &bad, "Migrations/20240102000000_AddEmail.Designer.cs");
    assert_eq!(
        env.git(&[
            "show",
            &format!("{BRANCH}:Migrations/ShopContextModelSnapshot.cs")
        ]),
        snapshot("Id").trim_end(),
        "the snapshot goes back with the model"
    );
    let (path, text) = one_added(&env, &bad, |p| {
        timestamp_after(p, "Migrations/", "20240102000000") && p.ends_with("_UndoAddEmail.cs")
    });
    let id = path
        .strip_prefix("Migrations/")
        .unwrap()
        .strip_suffix(".cs")
        .unwrap();
    assert!(
        text.contains(&format!(
            "    [Migration(\"{id}\")]\n    public partial class UndoAddEmail : AddEmail\n"
        )),
        "{text}"
    );
    assert!(text.contains("base.Down(migrationBuilder);"), "{text}");
    assert!(
        text.contains("public override IModel TargetModel => new Initial().TargetModel;"),
        "the model after the undo is the one before AddEmail:\n{text}"
    );
}

#[test]
fn liquibase_changelog_grows_changesets_that_run_the_rollback() {
    let master = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<databaseChangeLog xmlns=\"http://www.liquibase.org/xml/ns/dbchangelog\">\n    <includeAll path=\"changes/\" relativeToChangelogFile=\"true\"/>\n</databaseChangeLog>\n";
    let change = "--liquibase formatted sql\n\n--changeset alice:add-email\nALTER TABLE users ADD COLUMN email TEXT;\n--rollback ALTER TABLE users DROP COLUMN email;\n";
    let (env, bad) = project(
        &[
            (
                "src/main/resources/db/changelog/db.changelog-master.xml",
                master,
            ),
            (
                "src/main/resources/db/changelog/changes/001-users.sql",
                "--liquibase formatted sql\n\n--changeset alice:users\nCREATE TABLE users (id INT);\n--rollback DROP TABLE users;\n",
            ),
        ],
        &[(
            "src/main/resources/db/changelog/changes/002-email.sql",
            change,
        )],
    );
    let (code, _, err) = roll_forward(&env, &bad, &[]);
    assert_eq!(code, 0, "{err}");
    assert!(
        added(&env, &bad).is_empty(),
        "no new file: the changelog grows"
    );
    let path = "src/main/resources/db/changelog/changes/002-email.sql";
    let text = env.git(&["show", &format!("{BRANCH}:{path}")]);
    assert!(
        text.starts_with(change.trim_end()),
        "the changesets that ran stay:\n{text}"
    );
    assert!(
        text.ends_with(&format!(
            "--changeset git-release:undo-alice-add-email-{short}\n--comment: Undo changeset alice:add-email (roll-forward of {short})\nALTER TABLE users DROP COLUMN email;\n--rollback ALTER TABLE users ADD COLUMN email TEXT;",
            short = &bad[..7]
        )),
        "{text}"
    );
}

#[test]
fn a_changeset_appended_to_a_changelog_that_ran_is_refused() {
    let changelog = "--liquibase formatted sql\n\n--changeset alice:users\nCREATE TABLE users (id INT);\n--rollback DROP TABLE users;\n";
    let (env, bad) = project(
        &[("db/changelog/changes.sql", changelog)],
        &[(
            "db/changelog/changes.sql",
            &format!(
                "{changelog}\n--changeset alice:email\nALTER TABLE users ADD COLUMN email TEXT;\n--rollback ALTER TABLE users DROP COLUMN email;\n"
            ),
        )],
    );
    let before = untouched(&env);
    let (code, _, err) = roll_forward(&env, &bad, &[]);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains(&format!(
            "db/changelog/changes.sql (changed by {})",
            &bad[..7]
        )),
        "{err}"
    );
    assert_eq!(untouched(&env), before);

    let (code, _, err) = roll_forward(&env, &bad, &["--allow-manual-undo"]);
    assert_eq!(code, 0, "{err}");
    kept(&env, &bad, "db/changelog/changes.sql");
    let (_, text) = one_added(&env, &bad, |p| p == "db/changelog/changes_undo.sql");
    assert!(
        text.starts_with("-- TODO: MANUAL UNDO REQUIRED for changes.sql"),
        "{text}"
    );
}

#[test]
fn prisma_is_refused_by_name_and_a_manual_undo_is_a_failing_todo() {
    let (env, bad) = project(
        &[
            ("prisma/schema.prisma", "model User {\n  id Int @id\n}\n"),
            (
                "prisma/migrations/migration_lock.toml",
                "provider = \"sqlite\"\n",
            ),
            (
                "prisma/migrations/20240101000000_init/migration.sql",
                "CREATE TABLE \"User\" (\"id\" INTEGER NOT NULL PRIMARY KEY);\n",
            ),
        ],
        &[
            (
                "prisma/schema.prisma",
                "model User {\n  id Int @id\n  email String?\n}\n",
            ),
            (
                "prisma/migrations/20240102000000_add_email/migration.sql",
                "ALTER TABLE \"User\" ADD COLUMN \"email\" TEXT;\n",
            ),
        ],
    );
    let before = env.snapshot();
    let (code, _, err) = roll_forward(&env, &bad, &[]);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("migration 20240102000000_add_email has no down part"),
        "{err}"
    );
    assert!(err.contains("--allow-manual-undo"), "{err}");
    assert_eq!(env.snapshot(), before);

    let (code, _, err) = roll_forward(&env, &bad, &["--allow-manual-undo"]);
    assert_eq!(code, 0, "{err}");
    kept(
        &env,
        &bad,
        "prisma/migrations/20240102000000_add_email/migration.sql",
    );
    let (_, text) = one_added(&env, &bad, |p| {
        timestamp_after(p, "prisma/migrations/", "20240102000000")
            && p.ends_with("_undo_add_email/migration.sql")
    });
    assert!(text.starts_with("-- TODO: MANUAL UNDO REQUIRED"), "{text}");
}

/// Everything a refused command must leave as it was: the refs and the object count.
fn untouched(env: &TestEnv) -> String {
    let objects = env.git(&["count-objects", "-v"]);
    format!("{}\n--\n{objects}", env.snapshot())
}

#[test]
fn an_unknown_migrations_dir_is_refused_with_nothing_written() {
    let (env, bad) = project(
        &[(
            "app/migrations/0001_users.py",
            "# custom migration runner\nRUN = 'CREATE TABLE users (id INT)'\n",
        )],
        &[(
            "app/migrations/0002_email.py",
            "# custom migration runner\nRUN = 'ALTER TABLE users ADD email TEXT'\n",
        )],
    );
    env.git(&["gc", "-q"]);
    let before = untouched(&env);
    let (code, out, err) = roll_forward(&env, &bad, &[]);
    assert_eq!(code, 1, "{err}");
    assert!(out.is_empty(), "{out}");
    assert!(
        err.contains("no known migration system writes") && err.contains("nothing was written"),
        "{err}"
    );
    assert!(
        err.contains(&format!(
            "app/migrations/0002_email.py (changed by {})",
            &bad[..7]
        )),
        "{err}"
    );
    assert!(err.contains("[[migrations]]"), "{err}");
    assert_eq!(untouched(&env), before, "no ref, no branch, no object");

    // With --allow-manual-undo the migration that ran is kept, and a TODO in its language
    // is owed.
    let (code, _, err) = roll_forward(&env, &bad, &["--allow-manual-undo"]);
    assert_eq!(code, 0, "{err}");
    kept(&env, &bad, "app/migrations/0002_email.py");
    let (path, text) = one_added(&env, &bad, |p| p == "app/migrations/0002_email_undo.py");
    assert!(
        text.starts_with("# TODO: MANUAL UNDO REQUIRED for 0002_email.py"),
        "{path}: {text}"
    );
    assert!(text.ends_with("raise RuntimeError(\"TODO: write the undo of 0002_email.py\")"));
    assert!(err.contains("manual undo owed for 0002_email.py"), "{err}");
}

#[test]
fn a_rails_dir_beside_configured_sql_is_refused() {
    // Config names one dir, so nothing is detected: the Rails migrations are no system's.
    let (env, bad) = project(
        &[(
            ".release/config.toml",
            "[[migrations]]\nsystem = \"golang-migrate\"\ndir = \"db/migrations\"\n",
        )],
        &[(
            "db/migrate/20240102000000_add_email.rb",
            "class AddEmail < ActiveRecord::Migration[7.1]\n  def change\n    add_column :users, :email, :string\n  end\nend\n",
        )],
    );
    let before = untouched(&env);
    let (code, _, err) = roll_forward(&env, &bad, &[]);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("db/migrate/20240102000000_add_email.rb"),
        "{err}"
    );
    assert_eq!(untouched(&env), before);
}

#[test]
fn a_migrations_dir_spelled_with_capitals_beside_configured_sql_is_refused() {
    // EF Core's dir is `Migrations`: a case variant of a migrations dir is no less one.
    let (env, bad) = project(
        &[(
            ".release/config.toml",
            "[[migrations]]\nsystem = \"golang-migrate\"\ndir = \"db/migrations\"\n",
        )],
        &[(
            "Data/Migrations/0002_add_email.sql",
            "ALTER TABLE users ADD COLUMN email TEXT;\n",
        )],
    );
    let before = untouched(&env);
    let (code, _, err) = roll_forward(&env, &bad, &[]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("Data/Migrations/0002_add_email.sql"), "{err}");
    assert_eq!(untouched(&env), before);
}

#[test]
fn alembic_undo_is_a_new_head_that_restores_the_schema_on_sqlite() {
    let python = crate::common::python::venv_python();
    let bin = python.parent().unwrap().to_path_buf();
    let revision = |rev: &str, down: &str, up_body: &str, down_body: &str| {
        format!(
            "\"\"\"{rev}\"\"\"\nfrom alembic import op\nimport sqlalchemy as sa\n\nrevision = '{rev}'\ndown_revision = {down}\nbranch_labels = None\ndepends_on = None\n\n\ndef upgrade():\n    {up_body}\n\n\ndef downgrade():\n    {down_body}\n"
        )
    };
    let env_py = "from alembic import context\nfrom sqlalchemy import engine_from_config, pool\n\nconfig = context.config\nconnectable = engine_from_config(config.get_section(config.config_ini_section), prefix='sqlalchemy.', poolclass=pool.NullPool)\nwith connectable.connect() as connection:\n    context.configure(connection=connection, target_metadata=None, render_as_batch=True)\n    with context.begin_transaction():\n        context.run_migrations()\n";
    let (env, bad) = project(
        &[
            (
                "alembic.ini",
                "[alembic]\nscript_location = alembic\nsqlalchemy.url = sqlite:///app.db\n",
            ),
            ("alembic/env.py", env_py),
            ("alembic/script.py.mako", "# unused\n"),
            (
                "alembic/versions/1975ea83b712_create_users.py",
                &revision(
                    "1975ea83b712",
                    "None",
                    "op.create_table('users', sa.Column('id', sa.Integer, primary_key=True), sa.Column('name', sa.String))",
                    "op.drop_table('users')",
                ),
            ),
        ],
        &[(
            "alembic/versions/ae1027a6acf_add_email.py",
            &revision(
                "ae1027a6acf",
                "'1975ea83b712'",
                "op.add_column('users', sa.Column('email', sa.String))",
                "with op.batch_alter_table('users') as batch:\n        batch.drop_column('email')",
            ),
        )],
    );
    let (code, _, err) = roll_forward(&env, &bad, &[]);
    assert_eq!(code, 0, "{err}");
    kept(&env, &bad, "alembic/versions/ae1027a6acf_add_email.py");
    let (path, text) = one_added(&env, &bad, |p| {
        p.starts_with("alembic/versions/") && p.ends_with("_undo_add_email.py")
    });
    assert!(
        text.contains("\ndown_revision = \"ae1027a6acf\"\n"),
        "{text}"
    );

    // The real alembic: upgrade at the bad commit, then at the roll-forward branch.
    let alembic = |args: &[&str]| {
        let out = std::process::Command::new(bin.join("alembic"))
            .args(args)
            .current_dir(&env.repo)
            .output()
            .expect("alembic runs");
        assert!(
            out.status.success(),
            "alembic {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let schema = || {
        let out = std::process::Command::new("sqlite3")
            .arg(env.repo.join("app.db"))
            .arg("SELECT name, type, \"notnull\", pk FROM pragma_table_info('users') ORDER BY cid;")
            .output()
            .expect("sqlite3 runs");
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    };
    env.git(&["checkout", "-q", &format!("{bad}~1")]);
    alembic(&["upgrade", "head"]);
    let before = schema();
    env.git(&["checkout", "-q", &bad]);
    alembic(&["upgrade", "head"]);
    assert!(schema().contains("email"), "{}", schema());
    env.git(&["checkout", "-q", BRANCH]);
    alembic(&["upgrade", "head"]);
    assert_eq!(schema(), before, "the undo takes the schema back");
    let new = path
        .strip_prefix("alembic/versions/")
        .unwrap()
        .split('_')
        .next()
        .unwrap();
    assert!(alembic(&["current"]).contains(new), "the undo is the head");
}

#[test]
fn django_is_detected_and_its_default_makemigrations_writes_the_undo() {
    let python = crate::common::python::venv_python();
    let bin = python.parent().unwrap().to_path_buf();
    let env = TestEnv::new();
    env.write(
        "manage.py",
        "import os\nimport sys\n\nif __name__ == '__main__':\n    os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'site_conf.settings')\n    from django.core.management import execute_from_command_line\n    execute_from_command_line(sys.argv)\n",
    );
    env.write("site_conf/__init__.py", "");
    env.write(
        "site_conf/settings.py",
        "SECRET_KEY = 'test'\nINSTALLED_APPS = ['shop']\nDATABASES = {'default': {'ENGINE': 'django.db.backends.sqlite3', 'NAME': 'db.sqlite3'}}\nDEFAULT_AUTO_FIELD = 'django.db.models.AutoField'\nUSE_TZ = True\n",
    );
    env.write("shop/__init__.py", "");
    env.write("shop/migrations/__init__.py", "");
    let model = |fields: &str| {
        format!(
            "from django.db import models\n\n\nclass Item(models.Model):\n    name = models.CharField(max_length=50)\n{fields}"
        )
    };
    env.write("shop/models.py", &model(""));
    let django = |args: &[&str]| {
        let out = std::process::Command::new(&python)
            .arg("manage.py")
            .args(args)
            .current_dir(&env.repo)
            .output()
            .expect("python runs");
        assert!(
            out.status.success(),
            "manage.py {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    django(&["makemigrations", "shop"]);
    env.write(".gitignore", "db.sqlite3\n__pycache__/\n");
    env.commit_all("Shop");
    env.write(
        "shop/models.py",
        &model("    email = models.EmailField(blank=True)\n"),
    );
    django(&["makemigrations", "shop", "--name", "email"]);
    let bad = env.commit_all("Email");
    env.ok(&["start", "--date", "2026-11-20"]);

    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap());
    let out = env
        .cmd()
        .env("PATH", path)
        .args(["rollforward", &bad, "--force", "--reason", "t"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    kept(&env, &bad, "shop/migrations/0002_email.py");
    let (_, text) = one_added(&env, &bad, |p| {
        p == "shop/migrations/0003_undo_0002_email.py"
    });
    assert!(text.contains("migrations.RemoveField("), "{text}");
    assert!(text.contains("('shop', '0002_email')"), "{text}");
    assert_eq!(
        env.git(&["show", &format!("{BRANCH}:shop/models.py")]),
        model("").trim_end(),
        "the model code is reverted"
    );
}
