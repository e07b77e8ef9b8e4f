//! Roles, and the gates in front of each environment: which sign-offs, checklist items,
//! blockers and earlier deployments a deployment needs. Evaluating a gate lists every unmet
//! condition together with the command that would meet it.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::checklist::Checklist;
use super::state::Release;

/// Who may act for a role: e-mail patterns (`*@qa.example.com`, `lead@example.com`).
/// No patterns means anyone may.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Role {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub members: Vec<String>,
}

impl Role {
    pub fn admits(&self, email: &str) -> bool {
        self.members.is_empty() || self.members.iter().any(|p| glob(p, email))
    }
}

/// Case-insensitive match where `*` stands for any run of characters.
fn glob(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.to_lowercase().chars().collect();
    let t: Vec<char> = text.to_lowercase().chars().collect();
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && p[pi] == '*' {
            star = Some((pi, ti));
            pi += 1;
        } else if pi < p.len() && p[pi] == t[ti] {
            pi += 1;
            ti += 1;
        } else if let Some((sp, st)) = star {
            pi = sp + 1;
            ti = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

/// Which checklist items a gate needs: `"none"`, `"all"`, or a list of sections.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ChecklistRule {
    Keyword(Keyword),
    /// The items of these sections (heading slugs, or `section` of config items).
    Sections(Vec<String>),
}

impl Default for ChecklistRule {
    fn default() -> Self {
        ChecklistRule::Keyword(Keyword::None)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Keyword {
    None,
    /// Every item, except those verified on this or a later environment.
    All,
}

/// What an environment requires before a release may be deployed to it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Requirements {
    #[serde(default)]
    pub signoffs: Vec<String>,
    #[serde(default)]
    pub checklist: ChecklistRule,
    #[serde(default)]
    pub no_blockers: bool,
    #[serde(default)]
    pub deployed: Vec<String>,
    /// HTTP gates (`[[gates]]`) that `git release wait` must have seen pass.
    #[serde(default)]
    pub gates: Vec<String>,
    /// Monitors (`[[monitors]]`) that `git release watch` must have seen hold on this
    /// environment since its newest deployment before it may be verified.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub monitors: Vec<String>,
}

/// One condition that does not hold, and what would make it hold.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Unmet {
    pub reason: String,
    pub hint: String,
}

/// What a gate needs to know besides the release.
pub struct GateContext<'a> {
    pub checklist: &'a Checklist,
    /// Environment names in deployment order.
    pub environments: &'a [String],
    pub roles: &'a BTreeMap<String, Role>,
    /// Where the checklist comes from (`docs/verification.md`), for the reason a section
    /// named in `requires.checklist` is not found.
    pub checklist_source: &'a str,
}

/// Every unmet condition for deploying `release` to `env`; empty means the gate is open.
pub fn evaluate(
    release: &Release,
    env: &str,
    requires: &Requirements,
    ctx: &GateContext<'_>,
) -> Vec<Unmet> {
    let mut unmet = Vec::new();
    for earlier in &requires.deployed {
        if !release.deployments.iter().any(|d| &d.env == earlier) {
            unmet.push(Unmet {
                reason: format!("not deployed to {earlier} yet"),
                hint: format!("git release deploy {earlier}"),
            });
        }
    }
    for gate in &requires.gates {
        if !release.gates.get(gate).is_some_and(|g| g.passed) {
            unmet.push(Unmet {
                reason: format!("gate `{gate}` has not passed"),
                hint: format!("git release wait {gate}"),
            });
        }
    }
    for role in &requires.signoffs {
        let admitted = ctx.roles.get(role);
        let valid = release
            .signoffs
            .get(role)
            .into_iter()
            .flatten()
            .any(|s| admitted.is_none_or(|r| r.admits(&s.email)));
        if !valid {
            unmet.push(Unmet {
                reason: format!("sign-off `{role}` missing"),
                hint: format!("git release signoff {role}"),
            });
        }
    }
    unmet.extend(unknown_sections(&requires.checklist, env, ctx));
    let open: Vec<&str> = required_items(&requires.checklist, env, ctx)
        .into_iter()
        .filter(|id| !release.checked.contains_key(*id))
        .collect();
    if !open.is_empty() {
        let shown: Vec<&str> = open.iter().take(8).copied().collect();
        let more = if open.len() > shown.len() {
            format!(
                " (and {} more; `git release checklist` lists them)",
                open.len() - shown.len()
            )
        } else {
            String::new()
        };
        unmet.push(Unmet {
            reason: format!(
                "{} open: {}{more}",
                crate::output::count(open.len(), "checklist item", "checklist items"),
                shown.join(", ")
            ),
            hint: format!("git release check {}", shown.join(" ")),
        });
    }
    if requires.no_blockers {
        for (id, blocker) in &release.blockers {
            let title = blocker
                .title
                .as_deref()
                .map(|t| format!(" ({t})"))
                .unwrap_or_default();
            unmet.push(Unmet {
                reason: format!("blocked by {id}{title}"),
                hint: format!("git release unblock {id}"),
            });
        }
    }
    unmet
}

/// Every unmet condition for verifying `release` on `env`: the monitors the environment
/// requires must have held there since its newest deployment.
pub fn verify_unmet(release: &Release, env: &str, requires: &Requirements) -> Vec<Unmet> {
    let mut unmet = Vec::new();
    for monitor in &requires.monitors {
        match release.verdict_since_deploy(monitor, env) {
            Some(v) if v.passed => {}
            Some(v) => unmet.push(Unmet {
                reason: format!("monitor `{monitor}` failed on {env}: {}", v.detail),
                hint: format!("roll forward, deploy again, then `git release watch {env}`"),
            }),
            None => unmet.push(Unmet {
                reason: format!(
                    "monitor `{monitor}` has not been watched on {env} since the deployment"
                ),
                hint: format!("git release watch {env}"),
            }),
        }
    }
    unmet
}

/// A section the rule names that the checklist does not have: a typo there must not open the
/// gate by asking for no items at all.
fn unknown_sections(rule: &ChecklistRule, env: &str, ctx: &GateContext<'_>) -> Vec<Unmet> {
    let ChecklistRule::Sections(sections) = rule else {
        return Vec::new();
    };
    let mut known: Vec<&str> = Vec::new();
    for item in &ctx.checklist.items {
        if !known.contains(&item.section.as_str()) {
            known.push(&item.section);
        }
    }
    let index = ctx
        .environments
        .iter()
        .position(|e| e == env)
        .map_or_else(|| env.to_owned(), |i| i.to_string());
    let listed = if known.is_empty() {
        "the checklist has no sections".to_owned()
    } else {
        format!("sections: {}", known.join(", "))
    };
    sections
        .iter()
        .filter(|s| !known.contains(&s.as_str()))
        .map(|section| Unmet {
            reason: format!(
                "checklist section `{section}` is not in the checklist ({})",
                ctx.checklist_source
            ),
            hint: format!(
                "git release config set environments.{index}.requires.checklist '[…]' ({listed})"
            ),
        })
        .collect()
}

/// The checklist item ids a rule asks for before deploying to `env`.
pub fn required_items<'c>(rule: &ChecklistRule, env: &str, ctx: &GateContext<'c>) -> Vec<&'c str> {
    let position = |name: &str| ctx.environments.iter().position(|e| e == name);
    let here = position(env);
    ctx.checklist
        .items
        .iter()
        .filter(|item| match rule {
            ChecklistRule::Keyword(Keyword::None) => false,
            ChecklistRule::Sections(sections) => sections.contains(&item.section),
            // Items verified on this environment or a later one cannot be done before it.
            ChecklistRule::Keyword(Keyword::All) => match (&item.env, here) {
                (None, _) => true,
                (Some(item_env), Some(here)) => position(item_env).is_some_and(|p| p < here),
                (Some(_), None) => false,
            },
        })
        .map(|item| item.id.as_str())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_admit_by_pattern() {
        let role = Role {
            members: vec!["*@qa.example.com".into(), "Lead@Example.com".into()],
        };
        assert!(role.admits("kim@qa.example.com"));
        assert!(role.admits("lead@example.com"));
        assert!(!role.admits("kim@example.com"));
        assert!(!role.admits("kim@qa.example.com.evil.org"));
        assert!(Role::default().admits("anyone@anywhere"));
        assert!(glob("a*b*c", "axxbyyc"));
        assert!(!glob("a*b*c", "axxbyy"));
    }

    #[test]
    fn checklist_rules_parse_from_toml() {
        #[derive(Deserialize)]
        struct R {
            requires: Requirements,
        }
        let r: R =
            toml::from_str("requires = { checklist = \"all\", signoffs = [\"qa\"] }").unwrap();
        assert_eq!(r.requires.checklist, ChecklistRule::Keyword(Keyword::All));
        let r: R = toml::from_str("requires = { checklist = [\"firefox\"] }").unwrap();
        assert_eq!(
            r.requires.checklist,
            ChecklistRule::Sections(vec!["firefox".into()])
        );
        assert!(toml::from_str::<R>("requires = { checklist = \"some\" }").is_err());
        assert!(toml::from_str::<R>("requires = { sign_offs = [] }").is_err());
    }
}
