//! The node tree Kafka's metadata shell shows over an image:
//! `/image/{acls, clientQuotas, cluster, …}` and `/local`.
//!
//! Nodes are cheap views made on demand, borrowing the image, like Kafka's
//! `MetadataNode` classes: a directory names its children and makes the one
//! asked for; a leaf has a text. [`print`] walks them as Kafka's printers do.

pub mod print;
pub mod text;

use std::collections::BTreeMap;

use crate::image::names::{self, SCRAM_MECHANISMS};
use crate::image::{
    BrokerRegistration, Cluster, ConfigData, ConfigResource, ControllerRegistration,
    DelegationToken, Features, MetadataImage, Partition, ScramCredential, StandardAcl, Topic,
    Topics, Uuid,
};
use crate::output::base64::uuid_string;
use crate::output::json::java_double;

/// kraftlog's own version, shown under `/local` where Kafka shows its own.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
/// The commit kraftlog was built from, when the build says
/// (`KRAFTLOG_COMMIT_ID`).
pub const COMMIT_ID: &str = match option_env!("KRAFTLOG_COMMIT_ID") {
    Some(id) => id,
    None => "unknown",
};

/// The child of `/image/cluster` that lists controller registrations
/// (Kafka 3.7+ records); it appears only when there are some, so that the
/// tree stays Kafka 3.6's for logs without them.
pub const CONTROLLERS: &str = "controllers";

/// A node of the tree.
#[derive(Clone, Copy, Debug)]
pub enum Node<'i> {
    Root(&'i MetadataImage),
    Local,
    Image(&'i MetadataImage),
    Acls(&'i MetadataImage),
    ClientQuotas(&'i MetadataImage),
    ClientQuota(&'i BTreeMap<String, f64>),
    Cluster(&'i Cluster),
    Controllers(&'i Cluster),
    Configs(&'i MetadataImage),
    Config(&'i ConfigData),
    DelegationTokens(&'i MetadataImage),
    Features(&'i Features),
    ProducerIds(&'i MetadataImage),
    Scram(&'i MetadataImage),
    ScramMechanism(Option<&'i BTreeMap<String, ScramCredential>>),
    Topics(&'i Topics),
    TopicsById(&'i Topics),
    TopicsByName(&'i Topics),
    Topic(&'i Topic),
    Leaf(Leaf<'i>),
}

/// A leaf: something with a text.
#[derive(Clone, Copy, Debug)]
pub enum Leaf<'i> {
    Str(&'i str),
    Static(&'static str),
    Int(i64),
    Uuid(Uuid),
    Double(f64),
    MetadataVersion(i16),
    ZkMigrationState(i8),
    Provenance(&'i MetadataImage),
    Broker(&'i BrokerRegistration),
    Controller(&'i ControllerRegistration),
    Partition(&'i Partition),
    Acl(&'i StandardAcl),
    Scram(&'i ScramCredential),
    Token(&'i DelegationToken),
}

impl<'i> Leaf<'i> {
    /// The text Kafka's shell prints for this leaf.
    pub fn text(&self) -> String {
        match *self {
            Leaf::Str(s) => s.to_string(),
            Leaf::Static(s) => s.to_string(),
            Leaf::Int(v) => v.to_string(),
            Leaf::Uuid(id) => uuid_string(&id),
            Leaf::Double(v) => java_double(v),
            Leaf::MetadataVersion(level) => names::metadata_version(level).into_owned(),
            Leaf::ZkMigrationState(code) => names::zk_migration_state(code).into_owned(),
            Leaf::Provenance(image) => text::provenance(&image.provenance),
            Leaf::Broker(b) => text::broker_registration(b),
            Leaf::Controller(c) => text::controller_registration(c),
            Leaf::Partition(p) => text::partition_registration(p),
            Leaf::Acl(a) => text::standard_acl(a),
            Leaf::Scram(c) => text::scram_credential(c),
            Leaf::Token(t) => text::delegation_token(t),
        }
    }
}

const IMAGE_CHILDREN: [&str; 10] = [
    "acls",
    "clientQuotas",
    "cluster",
    "configs",
    "delegationToken",
    "features",
    "producerIds",
    "provenance",
    "scram",
    "topics",
];

impl<'i> Node<'i> {
    pub fn root(image: &'i MetadataImage) -> Node<'i> {
        Node::Root(image)
    }

    pub fn is_directory(&self) -> bool {
        !matches!(self, Node::Leaf(_))
    }

    /// The leaf's text; `None` for directories.
    pub fn text(&self) -> Option<String> {
        match self {
            Node::Leaf(leaf) => Some(leaf.text()),
            _ => None,
        }
    }

    /// The names of the children, in no particular order (callers sort).
    pub fn child_names(&self) -> Vec<String> {
        let owned = |names: &[&str]| names.iter().map(|s| s.to_string()).collect();
        match *self {
            Node::Root(_) => owned(&["image", "local"]),
            Node::Local => owned(&["version", "commitId"]),
            Node::Image(_) => owned(&IMAGE_CHILDREN),
            Node::Acls(image) => image.acls.keys().map(uuid_string).collect(),
            Node::ClientQuotas(image) => image
                .client_quotas
                .keys()
                .map(text::quota_entity_name)
                .collect(),
            Node::ClientQuota(quotas) => quotas.keys().cloned().collect(),
            Node::Cluster(cluster) => {
                let mut names: Vec<String> =
                    cluster.brokers.keys().map(|id| id.to_string()).collect();
                if !cluster.controllers.is_empty() {
                    names.push(CONTROLLERS.to_string());
                }
                names
            }
            Node::Controllers(cluster) => cluster
                .controllers
                .keys()
                .map(|id| id.to_string())
                .collect(),
            Node::Configs(image) => image
                .configs
                .iter()
                .map(|(resource, _)| config_node_name(resource))
                .collect(),
            Node::Config(data) => data.keys().map(str::to_owned).collect(),
            Node::DelegationTokens(image) => image.delegation_tokens.keys().cloned().collect(),
            Node::Features(features) => {
                let mut names = owned(&["metadataVersion", "zkMigrationState"]);
                names.extend(features.finalized.keys().map(|k| format!("finalized_{k}")));
                names
            }
            Node::ProducerIds(_) => owned(&["nextProducerId"]),
            Node::Scram(_) => SCRAM_MECHANISMS
                .iter()
                .map(|(_, name)| name.to_string())
                .collect(),
            Node::ScramMechanism(users) => users
                .map(|users| users.keys().cloned().collect())
                .unwrap_or_default(),
            Node::Topics(_) => owned(&["byId", "byName"]),
            Node::TopicsById(topics) => topics.by_id.keys().map(uuid_string).collect(),
            Node::TopicsByName(topics) => topics.by_name.keys().cloned().collect(),
            Node::Topic(topic) => {
                let mut names = owned(&["name", "id"]);
                names.extend(topic.partitions.ids().map(|id| id.to_string()));
                names
            }
            Node::Leaf(_) => Vec::new(),
        }
    }

    /// The child named `name`, if there is one.
    pub fn child(&self, name: &str) -> Option<Node<'i>> {
        let leaf = |l| Some(Node::Leaf(l));
        match *self {
            Node::Root(image) => match name {
                "image" => Some(Node::Image(image)),
                "local" => Some(Node::Local),
                _ => None,
            },
            Node::Local => match name {
                "version" => leaf(Leaf::Static(VERSION)),
                "commitId" => leaf(Leaf::Static(COMMIT_ID)),
                _ => None,
            },
            Node::Image(image) => match name {
                "acls" => Some(Node::Acls(image)),
                "clientQuotas" => Some(Node::ClientQuotas(image)),
                "cluster" => Some(Node::Cluster(&image.cluster)),
                "configs" => Some(Node::Configs(image)),
                "delegationToken" => Some(Node::DelegationTokens(image)),
                "features" => Some(Node::Features(&image.features)),
                "producerIds" => Some(Node::ProducerIds(image)),
                "provenance" => leaf(Leaf::Provenance(image)),
                "scram" => Some(Node::Scram(image)),
                "topics" => Some(Node::Topics(&image.topics)),
                _ => None,
            },
            Node::Acls(image) => image
                .acls
                .get(&parse_uuid(name)?)
                .map(|a| Node::Leaf(Leaf::Acl(a))),
            Node::ClientQuotas(image) => image
                .client_quotas
                .iter()
                .find(|(entity, _)| text::quota_entity_name(entity) == name)
                .map(|(_, quotas)| Node::ClientQuota(quotas)),
            Node::ClientQuota(quotas) => quotas.get(name).and_then(|v| leaf(Leaf::Double(*v))),
            Node::Cluster(cluster) => {
                if name == CONTROLLERS && !cluster.controllers.is_empty() {
                    return Some(Node::Controllers(cluster));
                }
                let id = parse_java_int(name)?;
                cluster
                    .brokers
                    .get(&id)
                    .map(|b| Node::Leaf(Leaf::Broker(b)))
            }
            Node::Controllers(cluster) => {
                let id = parse_java_int(name)?;
                cluster
                    .controllers
                    .get(&id)
                    .map(|c| Node::Leaf(Leaf::Controller(c)))
            }
            Node::Configs(image) => config_by_node_name(image, name).map(Node::Config),
            Node::Config(data) => data.get(name).map(|v| Node::Leaf(Leaf::Str(v))),
            Node::DelegationTokens(image) => image
                .delegation_tokens
                .get(name)
                .map(|t| Node::Leaf(Leaf::Token(t))),
            Node::Features(features) => match name {
                "metadataVersion" => leaf(Leaf::MetadataVersion(features.metadata_version)),
                "zkMigrationState" => leaf(Leaf::ZkMigrationState(features.zk_migration_state)),
                _ => {
                    let feature = name.strip_prefix("finalized_")?;
                    features
                        .finalized
                        .get(feature)
                        .and_then(|level| leaf(Leaf::Int((*level).into())))
                }
            },
            Node::ProducerIds(image) => match name {
                "nextProducerId" => leaf(Leaf::Int(image.producer_ids.next_producer_id)),
                _ => None,
            },
            Node::Scram(image) => {
                let (code, _) = SCRAM_MECHANISMS.iter().find(|(_, n)| *n == name)?;
                Some(Node::ScramMechanism(image.scram.get(code)))
            }
            Node::ScramMechanism(users) => users?.get(name).map(|c| Node::Leaf(Leaf::Scram(c))),
            Node::Topics(topics) => match name {
                "byId" => Some(Node::TopicsById(topics)),
                "byName" => Some(Node::TopicsByName(topics)),
                _ => None,
            },
            Node::TopicsById(topics) => topics.by_id.get(&parse_uuid(name)?).map(Node::Topic),
            Node::TopicsByName(topics) => topics.by_name(name).map(Node::Topic),
            Node::Topic(topic) => match name {
                "name" => leaf(Leaf::Str(&topic.name)),
                "id" => leaf(Leaf::Uuid(topic.id)),
                _ => {
                    let id = parse_java_int(name)?;
                    topic
                        .partitions
                        .get(id)
                        .map(|p| Node::Leaf(Leaf::Partition(p)))
                }
            },
            Node::Leaf(_) => None,
        }
    }

    /// The children, sorted by name as Kafka's shell lists them.
    pub fn sorted_children(&self) -> Vec<(String, Node<'i>)> {
        let mut names = self.child_names();
        names.sort();
        names
            .into_iter()
            .filter_map(|name| self.child(&name).map(|child| (name, child)))
            .collect()
    }
}

/// `TYPE` for a resource's default, `TYPE:name` otherwise.
pub fn config_node_name(resource: ConfigResource<'_>) -> String {
    let type_name = names::config_resource_type(resource.resource_type);
    if resource.name.is_empty() {
        type_name.to_string()
    } else {
        format!("{type_name}:{}", resource.name)
    }
}

fn config_by_node_name<'i>(image: &'i MetadataImage, name: &str) -> Option<&'i ConfigData> {
    let (type_name, resource_name) = name.split_once(':').unwrap_or((name, ""));
    let code = [2i8, 4, 8, 16, 32]
        .into_iter()
        .find(|c| names::config_resource_type(*c) == type_name);
    match code {
        Some(resource_type) => image.configs.get(ConfigResource {
            resource_type,
            name: resource_name,
        }),
        // Codes Kafka does not know all print as UNKNOWN.
        None => image
            .configs
            .iter()
            .find(|(resource, _)| config_node_name(*resource) == name)
            .map(|(_, data)| data),
    }
}

/// Parses a Uuid as Kafka prints it (22 URL-safe base64 characters), only
/// in its canonical form.
pub fn parse_uuid(s: &str) -> Option<Uuid> {
    let bytes = s.as_bytes();
    if bytes.len() != 22 {
        return None;
    }
    let sextet = |c: u8| -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'-' => 62,
            b'_' => 63,
            _ => return None,
        } as u32)
    };
    let mut bits: u128 = 0;
    for (i, &c) in bytes.iter().enumerate() {
        let v = sextet(c)?;
        if i == 21 {
            // The last character carries 2 bits; the other 4 must be zero.
            if v & 0xf != 0 {
                return None;
            }
            bits = (bits << 2) | u128::from(v >> 4);
        } else {
            bits = (bits << 6) | u128::from(v);
        }
    }
    Some(bits.to_be_bytes())
}

/// Java's `Integer.parseInt` (an optional sign, then decimal digits).
fn parse_java_int(s: &str) -> Option<i32> {
    let digits = s.strip_prefix(['-', '+']).unwrap_or(s);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// The node at an absolute path given as components.
pub fn resolve<'i>(root: Node<'i>, components: &[String]) -> Option<Node<'i>> {
    let mut node = root;
    for c in components {
        node = node.child(c)?;
    }
    Some(node)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuids_parse_back() {
        let id = parse_uuid("4Fe6ckmb-hIeg2sqwVcm7g").unwrap();
        assert_eq!(uuid_string(&id), "4Fe6ckmb-hIeg2sqwVcm7g");
        assert_eq!(parse_uuid("4Fe6ckmb-hIeg2sqwVcm7h"), None);
        assert_eq!(parse_uuid("short"), None);
    }

    #[test]
    fn an_empty_image_has_kafkas_tree() {
        let image = MetadataImage::new();
        let root = Node::root(&image);
        let img = root.child("image").unwrap();
        let names: Vec<String> = img.sorted_children().into_iter().map(|(n, _)| n).collect();
        assert_eq!(names, IMAGE_CHILDREN);
        let next = resolve(
            root,
            &[
                "image".into(),
                "producerIds".into(),
                "nextProducerId".into(),
            ],
        );
        assert_eq!(next.unwrap().text().unwrap(), "-1");
        let provenance = img.child("provenance").unwrap();
        assert_eq!(
            provenance.text().unwrap(),
            "offset -1, epoch -1, time 1969-12-31T23:59:59.999Z[UTC]"
        );
    }
}
