//! The verification checklist: items from config and from the team's own Markdown test plan.
//! Every numbered step (`1.`) and boxed bullet (`- [ ]`) is an item, grouped under the heading
//! above it, with a stable id made of the heading's slug and the item's place (`firefox-3`).
//! Indented lines (sub-bullets, continued text) belong to the item above them.

use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Item {
    pub id: String,
    /// The slug of the heading (or config section) the item belongs to.
    pub section: String,
    pub text: String,
    /// An item tied to an environment is verified on it after deploying there.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub env: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Checklist {
    pub items: Vec<Item>,
}

impl Checklist {
    pub fn get(&self, id: &str) -> Option<&Item> {
        self.items.iter().find(|i| i.id == id)
    }

    /// Adds items, refusing an id that is already taken.
    pub fn extend(&mut self, items: Vec<Item>) -> Result<(), String> {
        for item in items {
            if self.get(&item.id).is_some() {
                return Err(format!("checklist item id `{}` is defined twice", item.id));
            }
            self.items.push(item);
        }
        Ok(())
    }

    /// Known ids that look like `wanted`, closest first: a typo, a missing section, a number.
    pub fn near(&self, wanted: &str) -> Vec<&str> {
        // `chrome-1` → the items of section `chrome…`.
        let stem = wanted.rsplit_once('-').map_or(wanted, |(stem, _)| stem);
        let mut scored: Vec<(bool, usize, &str)> = self
            .items
            .iter()
            .map(|i| {
                (
                    !i.id.starts_with(stem),
                    distance(wanted, &i.id),
                    i.id.as_str(),
                )
            })
            .filter(|(other_section, d, id)| {
                !other_section || *d <= 2 + wanted.len() / 4 || id.contains(wanted)
            })
            .collect();
        scored.sort();
        scored.into_iter().take(5).map(|(_, _, id)| id).collect()
    }
}

/// Parses a Markdown test plan into items.
pub fn parse_markdown(text: &str) -> Vec<Item> {
    let mut items: Vec<Item> = Vec::new();
    let mut section = "plan".to_owned();
    let mut used_sections: Vec<String> = Vec::new();
    let mut count = 0;
    let mut in_fence = false;
    let mut open = false; // whether indented lines continue the last item
    for line in text.lines() {
        let trimmed = line.trim_start();
        if trimmed.starts_with("```") || trimmed.starts_with("~~~") {
            in_fence = !in_fence;
            continue;
        }
        if in_fence {
            continue;
        }
        let indent = line.len() - trimmed.len();
        if indent <= 3 {
            if let Some(heading) = heading(trimmed) {
                section = unique(slug(heading), &used_sections);
                used_sections.push(section.clone());
                count = 0;
                open = false;
                continue;
            }
            if let Some(text) = step(trimmed) {
                count += 1;
                items.push(Item {
                    id: format!("{section}-{count}"),
                    section: section.clone(),
                    text: text.to_owned(),
                    env: None,
                });
                open = true;
                continue;
            }
        }
        if trimmed.is_empty() {
            continue;
        }
        if open && indent > 0 {
            // A sub-bullet or continuation: part of the step above.
            let item = items.last_mut().expect("open implies an item");
            item.text.push('\n');
            item.text.push_str(trimmed);
        } else {
            open = false;
        }
    }
    items
}

fn heading(line: &str) -> Option<&str> {
    let hashes = line.bytes().take_while(|b| *b == b'#').count();
    if (1..=6).contains(&hashes) && line[hashes..].starts_with(' ') {
        Some(line[hashes..].trim().trim_end_matches('#').trim())
    } else {
        None
    }
}

/// The text of a numbered step (`3. Open …`, `3) Open …`) or a boxed bullet (`- [ ] Open …`).
fn step(line: &str) -> Option<&str> {
    let digits = line.bytes().take_while(u8::is_ascii_digit).count();
    if digits > 0 {
        let rest = &line[digits..];
        let rest = rest.strip_prefix('.').or_else(|| rest.strip_prefix(')'))?;
        return rest.starts_with(' ').then(|| rest.trim());
    }
    let rest = line
        .strip_prefix("- ")
        .or_else(|| line.strip_prefix("* "))
        .or_else(|| line.strip_prefix("+ "))?
        .trim_start();
    let rest = rest
        .strip_prefix("[ ]")
        .or_else(|| rest.strip_prefix("[x]"))
        .or_else(|| rest.strip_prefix("[X]"))?;
    Some(rest.trim())
}

/// `Firefox (desktop)` → `firefox-desktop`.
pub fn slug(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars() {
        if c.is_alphanumeric() {
            out.extend(c.to_lowercase());
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    let out = out.trim_end_matches('-').to_owned();
    if out.is_empty() {
        "section".into()
    } else {
        out
    }
}

fn unique(slug: String, used: &[String]) -> String {
    if !used.contains(&slug) {
        return slug;
    }
    (2..)
        .map(|n| format!("{slug}-{n}"))
        .find(|s| !used.contains(s))
        .expect("some suffix is free")
}

/// Edit distance, for "did you mean".
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let here = row[j + 1];
            row[j + 1] = (prev + usize::from(ca != *cb))
                .min(row[j] + 1)
                .min(here + 1);
            prev = here;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    const PLAN: &str = "\
# Deployment verification plan

Run these on stage before we ask for approval.

## TESTS

### Firefox

1. Open the home page
   - the banner shows today's date
   - no console errors
2. Log in as a test user
3. Upload an add-on
   * validation passes

### Chrome (desktop)

1. Open the home page
2) Search for \"tabs\"

```
1. not a step: inside a code block
```

## Smoke

- [ ] API health endpoint answers 200
- [x] Error rate below 1%
- a plain bullet is not an item
";

    #[test]
    fn parses_a_real_plan() {
        let items = parse_markdown(PLAN);
        let ids: Vec<&str> = items.iter().map(|i| i.id.as_str()).collect();
        assert_eq!(
            ids,
            [
                "firefox-1",
                "firefox-2",
                "firefox-3",
                "chrome-desktop-1",
                "chrome-desktop-2",
                "smoke-1",
                "smoke-2"
            ]
        );
        assert_eq!(
            items[0].text,
            "Open the home page\n- the banner shows today's date\n- no console errors"
        );
        assert_eq!(items[2].text, "Upload an add-on\n* validation passes");
        assert_eq!(items[4].text, "Search for \"tabs\"");
        assert_eq!(items[3].section, "chrome-desktop");
        assert_eq!(items[5].text, "API health endpoint answers 200");
    }

    #[test]
    fn repeated_headings_get_distinct_sections() {
        let items = parse_markdown("## Login\n1. a\n## Login\n1. b\n");
        assert_eq!(items[0].id, "login-1");
        assert_eq!(items[1].id, "login-2-1");
    }

    #[test]
    fn steps_before_any_heading_belong_to_the_plan() {
        let items = parse_markdown("1. first\n2. second\n");
        assert_eq!(items[1].id, "plan-2");
    }

    #[test]
    fn near_matches() {
        let mut c = Checklist::default();
        c.extend(parse_markdown(PLAN)).unwrap();
        assert_eq!(
            c.near("firefox-4")[..3],
            ["firefox-1", "firefox-2", "firefox-3"]
        );
        assert_eq!(c.near("chrome-1")[0], "chrome-desktop-1");
        assert!(c.near("zzzzzzzzzzzz").is_empty());
        assert!(c.extend(parse_markdown("## Smoke\n1. again\n")).is_err());
    }
}
