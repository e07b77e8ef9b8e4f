//! The roll-forward of a real Django project: Django 5.2 from PyPI (the virtualenv of
//! tests/common/python.rs), migrations made by the real `makemigrations`, applied by the real
//! `migrate` to a real SQLite database, the schema read back with the `sqlite3` binary.

use std::path::Path;
use std::process::Command;

use crate::common::TestEnv;
use crate::common::python::venv_python;

const MANAGE: &str = r#"#!/usr/bin/env python
import os
import sys

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "proj.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)
"#;

const SETTINGS: &str = r#"from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
SECRET_KEY = "test-only"
DEBUG = True
INSTALLED_APPS = ["shop"]
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": BASE_DIR / "db.sqlite3",
    }
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
USE_TZ = True
"#;

const MODELS: &str = r#"from django.db import models


class Product(models.Model):
    name = models.CharField(max_length=100)
"#;

const MODELS_WITH_PRICE: &str = r#"from django.db import models


class Product(models.Model):
    name = models.CharField(max_length=100)
    price = models.IntegerField(default=0)
"#;

/// `python manage.py …` in `dir`; panics with the output when it fails. Returns stdout.
fn manage(dir: &Path, args: &[&str]) -> String {
    let out = Command::new(venv_python())
        .arg("manage.py")
        .args(args)
        .current_dir(dir)
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .output()
        .expect("python runs");
    assert!(
        out.status.success(),
        "manage.py {args:?} failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// The columns of `table` in the project's database, as the `sqlite3` binary reads them.
fn columns(dir: &Path, table: &str) -> String {
    let out = Command::new("sqlite3")
        .arg(dir.join("db.sqlite3"))
        .arg(format!(
            "SELECT name || ' ' || type FROM pragma_table_info('{table}');"
        ))
        .output()
        .expect("sqlite3 runs");
    assert!(out.status.success(), "{out:?}");
    String::from_utf8(out.stdout).unwrap()
}

/// A Django project with an app `shop` whose 0001 is made and applied; released.
fn project() -> TestEnv {
    let env = TestEnv::new();
    env.write("manage.py", MANAGE);
    env.write("proj/__init__.py", "");
    env.write("proj/settings.py", SETTINGS);
    env.write("shop/__init__.py", "");
    env.write("shop/models.py", MODELS);
    env.write("shop/migrations/__init__.py", "");
    env.write(".gitignore", "db.sqlite3\n__pycache__/\n");
    manage(&env.repo, &["makemigrations", "shop"]);
    assert!(env.repo.join("shop/migrations/0001_initial.py").exists());
    env.commit_all("Shop with products");
    manage(&env.repo, &["migrate"]);
    env.ok(&["start", "--date", "2026-11-13"]);
    env
}

#[test]
fn a_django_field_is_rolled_forward_with_a_migration_makemigrations_writes() {
    let env = project();
    let python = venv_python();
    let before = columns(&env.repo, "shop_product");
    assert_eq!(before, "id INTEGER\nname varchar(100)\n");

    // The bad change: a field and its migration, made and applied as a developer would.
    env.write("shop/models.py", MODELS_WITH_PRICE);
    manage(&env.repo, &["makemigrations", "shop"]);
    let added = "shop/migrations/0002_product_price.py";
    assert!(env.repo.join(added).exists());
    let bad = env.commit_all("Products have a price");
    manage(&env.repo, &["migrate"]);
    let with_price = columns(&env.repo, "shop_product");
    assert!(with_price.contains("\nprice "), "{with_price}");
    env.ok(&["start", "--date", "2026-11-20"]);
    env.ok(&["rollback-approve", "--note", "prices break checkout"]);

    // The venv's python, from the test: written into the config as one shell word.
    let python = python.to_str().unwrap();
    assert!(!python.contains('\''), "{python}");
    env.write(
        ".release/config.toml",
        &format!(
            "[[migrations]]\nsystem = \"django\"\ndir = \"shop/migrations\"\n\
             generate = '''PYTHONDONTWRITEBYTECODE=1 '{python}' manage.py makemigrations shop --name undo_{{name}}'''\n"
        ),
    );
    env.commit_all("Roll-forward config");
    let (code, stdout, stderr) = env.run(&["rollforward", &bad]);
    assert_eq!(code, 0, "{stderr}");
    let branch = "rollforward/2026-11-20";
    assert_eq!(stdout.trim(), branch);
    assert_eq!(env.git(&["worktree", "list"]).lines().count(), 1);

    // On the branch: the model reverted, 0002 kept as it ran, and Django's own undo after it.
    let undo = "shop/migrations/0003_undo_0002_product_price.py";
    let files = env.git(&["ls-tree", "-r", "--name-only", branch]);
    assert!(files.contains(added) && files.contains(undo), "{files}");
    assert!(
        !files.contains("db.sqlite3") && !files.contains("__pycache__"),
        "{files}"
    );
    assert_eq!(
        env.git(&["show", &format!("{branch}:shop/models.py")]),
        MODELS.trim_end()
    );
    let text = env.git(&["show", &format!("{branch}:{undo}")]);
    assert!(text.contains("migrations.RemoveField("), "{text}");
    assert!(text.contains("('shop', '0002_product_price')"), "{text}");
    assert_eq!(
        env.git(&["log", "--format=%s", &format!("2026-11-20..{branch}")]),
        "Undo migration 0002_product_price.py (roll-forward of ".to_owned()
            + &bad[..7]
            + ")\nRevert \"Products have a price\""
    );

    // Checked out by git and migrated: the 0001 schema again, every migration applied.
    env.git(&["checkout", "-q", branch]);
    manage(&env.repo, &["migrate"]);
    assert_eq!(columns(&env.repo, "shop_product"), before);
    assert_eq!(
        manage(&env.repo, &["showmigrations", "shop"]),
        "shop\n [X] 0001_initial\n [X] 0002_product_price\n [X] 0003_undo_0002_product_price\n"
    );
    let check = manage(&env.repo, &["makemigrations", "--check", "--dry-run"]);
    assert!(check.contains("No changes detected"), "{check}");
    env.fsck();
}
