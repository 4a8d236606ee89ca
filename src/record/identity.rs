//! Which account or group a record names: by its 账号id or 群号 where it has
//! one, and by its platform (or group type) and name. Two records with a key
//! in common name the same account, and must not be filed under two serials.

use super::Record;

/// One way a record names its account or group.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct SubjectKey {
    /// The field the key is made of, for messages (`account.id`).
    pub path: &'static str,
    /// The key, folded (trimmed, lower case), with its form.
    pub key: String,
    /// How a message says it: 「账号id gh_3f2a9c81d7e4」, 「抖音「电商直播实训室」」.
    pub said: String,
}

impl Record {
    /// The keys naming this record's account or group.
    pub fn subject_keys(&self) -> Vec<SubjectKey> {
        let fold = |s: &str| s.trim().to_lowercase();
        let form = self.form.key();
        let mut keys = Vec::new();
        if let Some(a) = &self.account {
            let platform = a.platform_other.as_deref().unwrap_or(&a.platform);
            keys.push(SubjectKey {
                path: "account.name",
                key: format!("{form}\u{0}{platform}\u{0}{}", fold(&a.name)),
                said: format!("{platform}「{}」", a.name),
            });
            if let Some(id) = a.id.as_deref().filter(|id| !id.trim().is_empty()) {
                keys.push(SubjectKey {
                    path: "account.id",
                    key: format!("{form}\u{0}{platform}\u{0}id\u{0}{}", fold(id)),
                    said: format!("账号id {id}"),
                });
            }
        }
        if let Some(g) = &self.group {
            let kind = g.kind_other.as_deref().unwrap_or(&g.kind);
            keys.push(SubjectKey {
                path: "group.name",
                key: format!("{form}\u{0}{kind}\u{0}{}", fold(&g.name)),
                said: format!("{kind}「{}」", g.name),
            });
            if let Some(n) = g.number.as_deref().filter(|n| !n.trim().is_empty()) {
                keys.push(SubjectKey {
                    path: "group.number",
                    key: format!("{form}\u{0}number\u{0}{}", fold(n)),
                    said: format!("群号 {n}"),
                });
            }
        }
        keys
    }

    /// What the record names, said: 「帐号」 or 「群」.
    pub fn subject_word(&self) -> &'static str {
        match self.form {
            super::FormKind::Account => "帐号",
            super::FormKind::Group => "群",
        }
    }
}
