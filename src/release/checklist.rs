//! The verification checklist: items from config and from the team's own Markdown test plan.
//! Every numbered step (`1.`) and boxed bullet (`- [ ]`) is an item, grouped under the heading
//! above it, with a stable id made of the heading's slug and the item's place (`firefox-3`).
//! Whatever is nested in a step (sub-bullets, sub-steps, details, code) belongs to it.

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
}

/// Parses a Markdown test plan into items. It is read as CommonMark with GitHub's task boxes,
/// so a code block, an HTML comment or a nested list holds what a reader of the plan sees there.
pub fn parse_markdown(text: &str) -> Vec<Item> {
    let text = without_front_matter(text);
    let mut events = Parser::new_ext(text, Options::ENABLE_TASKLISTS)
        .into_offset_iter()
        .peekable();
    let mut items: Vec<Item> = Vec::new();
    let mut section = "plan".to_owned();
    let mut used_sections: Vec<String> = Vec::new();
    let mut count = 0;
    // Whether each open list is numbered, innermost last.
    let mut lists: Vec<bool> = Vec::new();
    let mut quotes = 0;
    let mut heading: Option<String> = None;
    let mut step: Option<Step> = None;
    while let Some((event, range)) = events.next() {
        if let Some(open) = &mut step {
            // Everything inside a step, nested lists included, is part of its text.
            match event {
                Event::Start(Tag::Item) => open.depth += 1,
                Event::End(TagEnd::Item) => {
                    open.depth -= 1;
                    if open.depth == 0 {
                        count += 1;
                        items.push(Item {
                            id: format!("{section}-{count}"),
                            section: section.clone(),
                            text: open.text(text, range.end),
                            env: None,
                        });
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
            Event::Start(Tag::Heading { .. }) if quotes == 0 => heading = Some(String::new()),
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
                    section = unique(slug(&heading), &used_sections);
                    used_sections.push(section.clone());
                    count = 0;
                }
            }
            Event::Start(Tag::Item) if quotes == 0 => {
                let numbered = lists.last() == Some(&true);
                let start = match events.peek() {
                    Some((Event::TaskListMarker(_), marker)) => marker.end,
                    // A number with nothing after it is still a step, with no text.
                    Some((Event::End(TagEnd::Item), _)) if numbered => range.end,
                    Some((_, first)) if numbered => first.start,
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
    items
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
        assert_eq!(c.near("chrome-1")[0], "chrome-desktop-1");
        assert!(c.near("zzzzzzzzzzzz").is_empty());
        assert!(c.extend(parse_markdown("## Smoke\n1. again\n")).is_err());
    }
}
