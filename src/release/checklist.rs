//! The verification checklist: items from config and from the team's own Markdown test plan.
//! Every numbered step (`1.`) and boxed bullet (`- [ ]`) is an item, grouped under the heading
//! above it, with a stable id made of the heading's slug and the item's place (`firefox-3`).
//! Whatever is nested in a step (sub-bullets, sub-steps, details, code) belongs to it.

use std::collections::{HashMap, HashSet};
use std::ops::Range;

use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};
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
                    strsim::levenshtein(wanted, &i.id),
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

    /// The items `wanted` names: the item of that id; else the ids it shortens — those it
    /// begins (`db` → `db-backup`), and those of the sections it begins with the same number
    /// (`prereq-2` → `prerequisites-2`). More than one is ambiguous; none is unknown.
    pub fn find(&self, wanted: &str) -> Vec<&Item> {
        if let Some(item) = self.get(wanted) {
            return vec![item];
        }
        let numbered = wanted
            .rsplit_once('-')
            .filter(|(stem, n)| !stem.is_empty() && !n.is_empty())
            .filter(|(_, n)| n.bytes().all(|b| b.is_ascii_digit()));
        self.items
            .iter()
            .filter(|item| {
                // `smoke-2` shortens no `smoke-2-1`: a number is whole, not the start of one.
                let begins = item.id.starts_with(wanted)
                    && (numbered.is_none() || !item.id[wanted.len()..].starts_with('-'));
                begins
                    || numbered.is_some_and(|(stem, n)| {
                        item.section.starts_with(stem) && item.id == format!("{}-{n}", item.section)
                    })
            })
            .collect()
    }

    /// The sections, in the order of their first item.
    pub fn sections(&self) -> Vec<&str> {
        let mut sections: Vec<&str> = Vec::new();
        for item in &self.items {
            if !sections.contains(&item.section.as_str()) {
                sections.push(&item.section);
            }
        }
        sections
    }

    /// The sections `wanted` names: that section, else those it begins (`prereq`).
    pub fn find_section(&self, wanted: &str) -> Vec<&str> {
        let sections = self.sections();
        if let Some(exact) = sections.iter().find(|s| **s == wanted) {
            return vec![*exact];
        }
        sections
            .into_iter()
            .filter(|s| s.starts_with(wanted))
            .collect()
    }
}

/// Parses a Markdown test plan into items. It is read as CommonMark with GitHub's task boxes,
/// so a code block, an HTML comment or a nested list holds what a reader of the plan sees there.
pub fn parse_markdown(text: &str) -> Vec<Item> {
    let text = without_front_matter(text);
    let plan = read_plan(text, &[]);
    // A section with neither steps nor boxes (a list of prerequisites) is checked bullet by
    // bullet; that is only known once the whole section is read, hence a second reading.
    let mut bulleted = vec![true; plan.headings.len() + 1];
    for (section, _) in &plan.steps {
        bulleted[*section] = false;
    }
    let plan = if !bulleted.contains(&true) {
        plan
    } else {
        read_plan(text, &bulleted)
    };
    plan.items()
}

/// A plan as read: the text of each heading outside lists and quotes (section `n` is under
/// heading `n - 1`; section 0 is before the first heading), and each step with its section.
struct Plan {
    headings: Vec<String>,
    steps: Vec<(usize, String)>,
}

impl Plan {
    fn items(self) -> Vec<Item> {
        // Steps before any heading belong to `plan`, a name then taken like a heading's.
        let mut names = vec!["plan".to_owned()];
        let mut taken = Names::default();
        if self.steps.iter().any(|(section, _)| *section == 0) {
            taken.take(names[0].clone());
        }
        for heading in &self.headings {
            let name = taken.take(heading_slug(heading));
            names.push(name);
        }
        let mut counts = vec![0; names.len()];
        self.steps
            .into_iter()
            .map(|(section, text)| {
                counts[section] += 1;
                let name = &names[section];
                Item {
                    id: format!("{name}-{}", counts[section]),
                    section: name.clone(),
                    text,
                    env: None,
                }
            })
            .collect()
    }
}

/// Reads the steps of a plan: numbered steps and boxed bullets, and in the sections marked in
/// `bulleted` every bullet.
fn read_plan(text: &str, bulleted: &[bool]) -> Plan {
    let mut events = Parser::new_ext(text, Options::ENABLE_TASKLISTS)
        .into_offset_iter()
        .peekable();
    let mut plan = Plan {
        headings: Vec::new(),
        steps: Vec::new(),
    };
    // Whether each open list is numbered, innermost last.
    let mut lists: Vec<bool> = Vec::new();
    let mut quotes = 0;
    let mut heading: Option<String> = None;
    let mut step: Option<Step> = None;
    while let Some((event, range)) = events.next() {
        let section = plan.headings.len();
        if let Some(open) = &mut step {
            // Everything inside a step, nested lists included, is part of its text.
            match event {
                Event::Start(Tag::Item) => open.depth += 1,
                Event::End(TagEnd::Item) => {
                    open.depth -= 1;
                    if open.depth == 0 {
                        plan.steps.push((section, open.text(text, range.end)));
                        step = None;
                    }
                }
                Event::Start(Tag::HtmlBlock) | Event::InlineHtml(_)
                    if text[range.clone()].trim_start().starts_with("<!--") =>
                {
                    open.comments.push(range);
                }
                _ => {}
            }
            continue;
        }
        match event {
            Event::Start(Tag::List(first)) => lists.push(first.is_some()),
            Event::End(TagEnd::List(_)) => {
                lists.pop();
            }
            // A quote is someone else's text, not the plan's own steps and headings.
            Event::Start(Tag::BlockQuote(_)) => quotes += 1,
            Event::End(TagEnd::BlockQuote(_)) => quotes -= 1,
            // A heading inside a list item is part of the item, in both readings alike.
            Event::Start(Tag::Heading { .. }) if quotes == 0 && lists.is_empty() => {
                heading = Some(String::new())
            }
            Event::Text(t) | Event::Code(t) => {
                if let Some(heading) = &mut heading {
                    heading.push_str(&t);
                }
            }
            Event::SoftBreak | Event::HardBreak => {
                if let Some(heading) = &mut heading {
                    heading.push(' ');
                }
            }
            Event::End(TagEnd::Heading(_)) => {
                if let Some(heading) = heading.take() {
                    plan.headings.push(heading);
                }
            }
            Event::Start(Tag::Item) if quotes == 0 => {
                let numbered = lists.last() == Some(&true);
                let bullets = bulleted.get(section) == Some(&true);
                let start = match events.peek() {
                    Some((Event::TaskListMarker(_), marker)) => marker.end,
                    // A number with nothing after it is still a step, with no text.
                    Some((Event::End(TagEnd::Item), _)) if numbered => range.end,
                    Some((Event::End(TagEnd::Item), _)) => continue,
                    Some((_, first)) if numbered || bullets => first.start,
                    _ => continue,
                };
                step = Some(Step {
                    start,
                    depth: 1,
                    comments: Vec::new(),
                });
            }
            _ => {}
        }
    }
    plan
}

/// The plan after its front matter (`---` … `---` at the very top). pulldown-cmark would take
/// any later `---` line for the start of a metadata block too, so it is asked about the top only.
fn without_front_matter(text: &str) -> &str {
    let options = Options::ENABLE_YAML_STYLE_METADATA_BLOCKS;
    match Parser::new_ext(text, options).into_offset_iter().next() {
        Some((Event::Start(Tag::MetadataBlock(_)), range)) => &text[range.end..],
        _ => text,
    }
}

/// A numbered step or boxed bullet being read: where its text starts, and the comments in it.
struct Step {
    start: usize,
    depth: usize,
    comments: Vec<Range<usize>>,
}

impl Step {
    /// The step's source without its marker and comments, a trimmed line per line; sub-bullets
    /// keep theirs (`- the banner shows`).
    fn text(&self, source: &str, end: usize) -> String {
        let mut kept = String::new();
        let mut at = self.start;
        for comment in &self.comments {
            kept.push_str(&source[at..comment.start]);
            at = comment.end;
        }
        kept.push_str(&source[at..end]);
        kept.lines()
            .map(str::trim)
            .filter(|line| !line.is_empty())
            .collect::<Vec<_>>()
            .join("\n")
    }
}

/// A section's name from its heading: the heading's words without the asides in parentheses
/// (`Firefox (desktop)` → `firefox`), so that an ETA or a remark can change and the ids stay.
/// A heading that is nothing but an aside keeps it.
pub fn heading_slug(heading: &str) -> String {
    let mut words = String::new();
    let mut aside = String::new();
    let mut depth = 0;
    for c in heading.chars() {
        match c {
            '(' => {
                depth += 1;
                aside.push(c);
            }
            ')' if depth > 0 => {
                depth -= 1;
                aside.push(c);
                if depth == 0 {
                    aside.clear();
                    words.push(' ');
                }
            }
            _ if depth > 0 => aside.push(c),
            _ => words.push(c),
        }
    }
    // An unclosed parenthesis opens no aside.
    words.push_str(&aside);
    if words.chars().any(char::is_alphanumeric) {
        slug(&words)
    } else {
        slug(heading)
    }
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

/// Section names taken so far, and for each slug the suffix to try next, so that a plan of
/// many equal headings is named in one pass.
#[derive(Default)]
struct Names {
    used: HashSet<String>,
    next: HashMap<String, usize>,
}

impl Names {
    fn take(&mut self, slug: String) -> String {
        let name = if self.used.contains(&slug) {
            let next = self.next.entry(slug.clone()).or_insert(2);
            let name = (*next..)
                .map(|n| format!("{slug}-{n}"))
                .find(|s| !self.used.contains(s))
                .expect("some suffix is free");
            *next = name[slug.len() + 1..].parse::<usize>().expect("a number") + 1;
            name
        } else {
            slug
        };
        self.used.insert(name.clone());
        name
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

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
                "chrome-1",
                "chrome-2",
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
        assert_eq!(items[3].section, "chrome");
        assert_eq!(items[5].text, "API health endpoint answers 200");
    }

    #[test]
    fn repeated_headings_get_distinct_sections() {
        let items = parse_markdown("## Login\n1. a\n## Login\n1. b\n");
        assert_eq!(items[0].id, "login-1");
        assert_eq!(items[1].id, "login-2-1");
        let items = parse_markdown("## A 2\n1. a\n## A\n1. b\n## A\n1. c\n## A\n1. d\n");
        assert_eq!(ids(&items), ["a-2-1", "a-1", "a-3-1", "a-4-1"]);
    }

    #[test]
    fn steps_before_any_heading_belong_to_the_plan() {
        let items = parse_markdown("1. first\n2. second\n");
        assert_eq!(items[1].id, "plan-2");
        // A later `## Plan` heading is a section of its own, not a second `plan-1`.
        let items = parse_markdown("1. first\n\n## Plan\n\n1. second\n");
        assert_eq!(ids(&items), ["plan-1", "plan-2-1"]);
        let mut c = Checklist::default();
        assert_eq!(c.extend(items), Ok(()));
        // Without untitled steps the heading keeps the plain name.
        let items = parse_markdown("Intro.\n\n## Plan\n\n1. second\n");
        assert_eq!(ids(&items), ["plan-1"]);
    }

    #[test]
    fn section_names_leave_out_asides_in_parentheses() {
        assert_eq!(heading_slug("Firefox (desktop)"), "firefox");
        assert_eq!(heading_slug("Safari (ETA: 5m)"), "safari");
        assert_eq!(
            heading_slug("Log in (SSO (staff)) and out"),
            "log-in-and-out"
        );
        assert_eq!(heading_slug("Upload(2 GB)limits"), "upload-limits");
        assert_eq!(heading_slug("(optional)"), "optional");
        assert_eq!(heading_slug("Firefox (desktop"), "firefox-desktop");
        assert_eq!(heading_slug("Firefox) desktop"), "firefox-desktop");
        let items = parse_markdown(
            "### Safari <small>(ETA: 5m)</small>\n1. a\n\
             ### Firefox (desktop)\n1. b\n### Firefox (mobile)\n1. c\n",
        );
        assert_eq!(ids(&items), ["safari-1", "firefox-1", "firefox-2-1"]);
        assert_eq!(items[2].section, "firefox-2");
    }

    #[test]
    fn bullets_are_items_in_a_section_of_nothing_else() {
        let items = parse_markdown(
            "## Prerequisites\n\n- VPN on\n  - to the stage network\n- A test account\n\n\
             > - quoted\n\n## Firefox\n\n1. Open it\n\n- a remark, not a step\n\n\
             ## Smoke\n\n- Watch the graphs\n  - [ ] errors below 1%\n\n## Notes\n\n-\n\n\
             - Ask in #qa\n",
        );
        assert_eq!(
            ids(&items),
            [
                "prerequisites-1",
                "prerequisites-2",
                "firefox-1",
                "smoke-1",
                "notes-1"
            ]
        );
        assert_eq!(items[0].text, "VPN on\n- to the stage network");
        assert_eq!(items[1].text, "A test account");
        assert_eq!(items[3].text, "errors below 1%");
        assert_eq!(items[4].text, "Ask in #qa");
        // A heading inside a bullet is part of the bullet, not a section.
        let items = parse_markdown(
            "## Setup\n\n- Accounts\n\n  ### Admin\n\n## Login\n\n1. Log in\n\n- a remark\n",
        );
        assert_eq!(ids(&items), ["setup-1", "login-1"]);
        assert_eq!(items[0].text, "Accounts\n### Admin");
    }

    #[test]
    fn an_argument_finds_the_ids_it_shortens() {
        let mut c = Checklist::default();
        c.extend(vec![Item {
            id: "db-backup".into(),
            section: "ops".into(),
            text: "Backup taken".into(),
            env: None,
        }])
        .unwrap();
        c.extend(parse_markdown(
            "## Prerequisites\n- a\n- b\n## Firefox\n1. a\n2. b\n## Fire drill\n1. a\n\
             ## Safari\n1. a\n",
        ))
        .unwrap();
        let found =
            |wanted: &str| -> Vec<String> { c.find(wanted).iter().map(|i| i.id.clone()).collect() };
        assert_eq!(found("firefox-1"), ["firefox-1"]);
        assert_eq!(found("db"), ["db-backup"]);
        assert_eq!(found("prereq-2"), ["prerequisites-2"]);
        assert_eq!(found("saf"), ["safari-1"]);
        assert_eq!(found("fire-1"), ["firefox-1", "fire-drill-1"]);
        assert_eq!(found("firef-2"), ["firefox-2"]);
        assert_eq!(found("firefox"), ["firefox-1", "firefox-2"]);
        assert!(found("firefox-3").is_empty());
        assert!(found("-1").is_empty());
        // A second "Smoke" section is `smoke-2`: `smoke-2` is not a short `smoke-2-1`.
        let mut smoke = Checklist::default();
        smoke
            .extend(parse_markdown(
                "## Smoke
1. a
## Smoke
1. b
",
            ))
            .unwrap();
        let ids: Vec<String> = smoke.find("smoke-2").iter().map(|i| i.id.clone()).collect();
        assert!(ids.is_empty(), "{ids:?}");
        assert_eq!(c.find_section("firefox"), ["firefox"]);
        assert_eq!(c.find_section("fire"), ["firefox", "fire-drill"]);
        assert_eq!(c.find_section("pre"), ["prerequisites"]);
        assert!(c.find_section("chrome").is_empty());
    }

    fn ids(items: &[Item]) -> Vec<&str> {
        items.iter().map(|i| i.id.as_str()).collect()
    }

    #[test]
    fn setext_headings_are_sections() {
        let items =
            parse_markdown("Release checks\n==============\n\n1. a\n\nSmoke\n-----\n\n- [ ] b\n");
        assert_eq!(ids(&items), ["release-checks-1", "smoke-1"]);
        assert_eq!(items[1].section, "smoke");
    }

    #[test]
    fn code_blocks_never_yield_items() {
        // A `~~~` line inside a ``` block does not close it, nor a ``` line a ```` block.
        let items = parse_markdown(
            "## Shell\n\n```sh\ncat <<EOF\n~~~\nEOF\n1. not a step\n```\n\n1. a\n\n\
             ````md\n```\n- [ ] not a step\n```\n````\n\n2. b\n\nRun:\n\n    1. indented code\n",
        );
        assert_eq!(ids(&items), ["shell-1", "shell-2"]);
        assert_eq!(items[1].text, "b");
    }

    #[test]
    fn nested_steps_belong_to_their_parent() {
        let items = parse_markdown(
            "## Login\n\n1. Open the login page\n\t1. the form has focus\n\t- [ ] no errors\n\
             2. Log in\n   - [ ] the avatar shows\n3. Log out\n",
        );
        assert_eq!(ids(&items), ["login-1", "login-2", "login-3"]);
        assert_eq!(
            items[0].text,
            "Open the login page\n1. the form has focus\n- [ ] no errors"
        );
        assert_eq!(items[1].text, "Log in\n- [ ] the avatar shows");
        assert_eq!(items[2].text, "Log out");
    }

    #[test]
    fn commented_out_steps_do_not_count() {
        let items = parse_markdown(
            "## Upload\n\n<!--\n1. Upload a 2 GB file\n- [ ] Cancel it halfway\n-->\n\n\
             1. Upload a photo <!-- a small one -->\n2. Delete it\n",
        );
        assert_eq!(ids(&items), ["upload-1", "upload-2"]);
        assert_eq!(items[0].text, "Upload a photo");
    }

    #[test]
    fn front_matter_is_skipped_and_rules_are_not_front_matter() {
        let items = parse_markdown(
            "---\ntitle: Plan\n---\n1. a\n\n---\n## Chrome\n1. b\n\n---\n## Safari\n1. c\n",
        );
        assert_eq!(ids(&items), ["plan-1", "chrome-1", "safari-1"]);
    }

    /// Pieces of a plan; each leaves no block open, so that what follows starts afresh.
    fn plan_piece() -> impl Strategy<Value = &'static str> {
        prop::sample::select(vec![
            "# Firefox",
            "## Safari <small>(ETA: 5m)</small>",
            "Smoke\n=====",
            "Ops\n---",
            "1. Open the page",
            "2) Log in",
            "- [ ] Health answers 200",
            "* [x] Überprüft ✓",
            "- a plain bullet",
            "\t1. a sub-step",
            "   - a sub-bullet",
            "    indented text",
            "```\n1. code\n~~~\n```",
            "<!-- 1. hidden -->",
            "> 1. quoted",
            "",
        ])
    }

    proptest! {
        /// Whatever a fenced code block or an HTML comment holds, it adds no item.
        #[test]
        fn code_and_comments_add_no_items(
            plan in prop::collection::vec(plan_piece(), 0..20),
            hidden in prop::collection::vec(plan_piece(), 0..10),
        ) {
            let plan = plan.join("\n");
            let items = parse_markdown(&plan);
            let code = hidden.join("\n");
            let with_code = format!("{plan}\n\n````\n{code}\n````\n");
            prop_assert_eq!(&parse_markdown(&with_code), &items);
            // A comment ends at the first `-->`, so only pieces without one go inside.
            let comment: Vec<&str> = hidden.into_iter().filter(|p| !p.contains("-->")).collect();
            let with_comment = format!("{plan}\n\n<!--\n{}\n-->\n", comment.join("\n"));
            prop_assert_eq!(&parse_markdown(&with_comment), &items);
        }
    }

    #[test]
    fn near_matches() {
        let mut c = Checklist::default();
        c.extend(parse_markdown(PLAN)).unwrap();
        assert_eq!(
            c.near("firefox-4")[..3],
            ["firefox-1", "firefox-2", "firefox-3"]
        );
        assert_eq!(c.near("chrom-1")[0], "chrome-1");
        assert!(c.near("zzzzzzzzzzzz").is_empty());
        assert!(c.extend(parse_markdown("## Smoke\n1. again\n")).is_err());
    }
}
