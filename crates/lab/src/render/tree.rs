//! Junos' structured output: one element tree per command, written as
//! `| display xml` (the `<rpc-reply>` document) or `| display json`
//! (Junos' own JSON, every value in a `[{"data": …}]` wrapper).

use std::fmt::Write as _;

/// A child of an element.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum XNode {
    Elem(Elem),
    /// `<!-- keepalive -->`; in JSON, a `"comment"` member of the next
    /// element.
    Comment(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Elem {
    pub name: &'static str,
    pub attrs: Vec<(&'static str, String)>,
    pub text: Option<String>,
    pub children: Vec<XNode>,
}

impl Elem {
    pub fn new(name: &'static str) -> Self {
        Elem {
            name,
            attrs: vec![],
            text: None,
            children: vec![],
        }
    }

    pub fn attr(mut self, k: &'static str, v: impl Into<String>) -> Self {
        self.attrs.push((k, v.into()));
        self
    }

    /// Adds a leaf `<name>text</name>`.
    pub fn leaf(&mut self, name: &'static str, text: impl Into<String>) -> &mut Self {
        self.children.push(XNode::Elem(Elem {
            name,
            attrs: vec![],
            text: Some(text.into()),
            children: vec![],
        }));
        self
    }

    /// Adds a leaf with attributes.
    pub fn leaf_attr(
        &mut self,
        name: &'static str,
        text: impl Into<String>,
        attrs: Vec<(&'static str, String)>,
    ) -> &mut Self {
        self.children.push(XNode::Elem(Elem {
            name,
            attrs,
            text: Some(text.into()),
            children: vec![],
        }));
        self
    }

    /// Adds an empty element `<name/>` (a flag).
    pub fn flag(&mut self, name: &'static str) -> &mut Self {
        self.children.push(XNode::Elem(Elem::new(name)));
        self
    }

    pub fn child(&mut self, e: Elem) -> &mut Self {
        self.children.push(XNode::Elem(e));
        self
    }

    pub fn comment(&mut self, c: &str) -> &mut Self {
        self.children.push(XNode::Comment(c.to_string()));
        self
    }
}

fn xml_escape(s: &str, out: &mut String) {
    for c in s.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            c => out.push(c),
        }
    }
}

fn write_xml(e: &Elem, depth: usize, out: &mut String) {
    let pad = "    ".repeat(depth);
    out.push_str(&pad);
    out.push('<');
    out.push_str(e.name);
    for (k, v) in &e.attrs {
        let _ = write!(out, " {k}=\"");
        xml_escape(v, out);
        out.push('"');
    }
    match (&e.text, e.children.is_empty()) {
        (None, true) => out.push_str("/>\n"),
        (Some(t), true) => {
            out.push('>');
            xml_escape(t, out);
            let _ = writeln!(out, "</{}>", e.name);
        }
        (_, false) => {
            out.push_str(">\n");
            for c in &e.children {
                match c {
                    XNode::Elem(c) => write_xml(c, depth + 1, out),
                    XNode::Comment(t) => {
                        let _ = writeln!(out, "{pad}    <!-- {t} -->");
                    }
                }
            }
            let _ = writeln!(out, "{pad}</{}>", e.name);
        }
    }
}

/// `| display xml`: the reply document, with the CLI banner (the SRX
/// cluster's `{primary:node0}`, empty elsewhere) as Junos appends it.
pub fn to_xml(root: &Elem, version: &str, banner: &str) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "<rpc-reply xmlns:junos=\"http://xml.juniper.net/junos/{version}/junos\">"
    );
    write_xml(root, 1, &mut out);
    out.push_str("    <cli>\n        <banner>");
    xml_escape(banner, &mut out);
    out.push_str("</banner>\n    </cli>\n</rpc-reply>\n");
    out
}

fn json_str(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".to_string())
}

fn json_attrs(attrs: &[(&'static str, String)]) -> String {
    let inner: Vec<String> = attrs
        .iter()
        .map(|(k, v)| format!("{} : {}", json_str(k), json_str(v)))
        .collect();
    format!("{{{}}}", inner.join(", "))
}

/// Writes the members of `e`'s JSON object at `indent` spaces.
fn write_members(e: &Elem, comment: Option<&str>, indent: usize, out: &mut String) {
    let pad = " ".repeat(indent);
    let mut members: Vec<String> = Vec::new();
    if let Some(c) = comment {
        members.push(format!("{pad}\"comment\" : {}", json_str(c)));
    }
    let leaf = e.children.is_empty();
    if leaf {
        match &e.text {
            Some(t) => members.push(format!("{pad}\"data\" : {}", json_str(t))),
            None => members.push(format!("{pad}\"data\" : [null]")),
        }
        if !e.attrs.is_empty() {
            members.push(format!("{pad}\"attributes\" : {}", json_attrs(&e.attrs)));
        }
    } else {
        if !e.attrs.is_empty() {
            members.push(format!("{pad}\"attributes\" : {}", json_attrs(&e.attrs)));
        }
        // Siblings of one name become one array, where the first stands.
        let mut order: Vec<&'static str> = Vec::new();
        for c in &e.children {
            if let XNode::Elem(c) = c
                && !order.contains(&c.name)
            {
                order.push(c.name);
            }
        }
        for name in order {
            let mut m = String::new();
            let _ = writeln!(m, "{pad}{} : [", json_str(name));
            let mut first = true;
            let mut pending: Option<&str> = None;
            for c in &e.children {
                match c {
                    XNode::Comment(t) => pending = Some(t),
                    XNode::Elem(c) if c.name == name => {
                        if !first {
                            m.push_str(",\n");
                        }
                        first = false;
                        let _ = writeln!(m, "{pad}{{");
                        write_members(c, pending.take(), indent + 4, &mut m);
                        let _ = write!(m, "{pad}}}");
                    }
                    XNode::Elem(_) => pending = None,
                }
            }
            let _ = write!(m, "\n{pad}]");
            members.push(m);
        }
    }
    out.push_str(&members.join(",\n"));
    out.push('\n');
}

/// `| display json`.
pub fn to_json(root: &Elem) -> String {
    let mut out = String::from("{\n");
    let _ = writeln!(out, "    {} : [", json_str(root.name));
    out.push_str("    {\n");
    write_members(root, None, 8, &mut out);
    out.push_str("    }\n    ]\n}\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Elem {
        let mut root = Elem::new("route-information")
            .attr("xmlns", "http://xml.juniper.net/junos/18.4R3/junos-routing");
        root.comment("keepalive");
        let mut table = Elem::new("route-table");
        table.leaf("table-name", "inet.0");
        let mut rt = Elem::new("rt").attr("junos:style", "brief");
        rt.leaf("rt-destination", "10.0.0.0/8");
        let mut entry = Elem::new("rt-entry");
        entry.leaf("active-tag", "*").flag("current-active");
        entry.leaf_attr(
            "age",
            "1d 01:36:30",
            vec![("junos:seconds", "92190".to_string())],
        );
        rt.child(entry);
        table.child(rt);
        root.child(table);
        root
    }

    #[test]
    fn json_matches_junos_layout() {
        let j = to_json(&sample());
        let want = r#"{
    "route-information" : [
    {
        "attributes" : {"xmlns" : "http://xml.juniper.net/junos/18.4R3/junos-routing"},
        "route-table" : [
        {
            "comment" : "keepalive",
            "table-name" : [
            {
                "data" : "inet.0"
            }
            ],
            "rt" : [
            {
                "attributes" : {"junos:style" : "brief"},
                "rt-destination" : [
                {
                    "data" : "10.0.0.0/8"
                }
                ],
                "rt-entry" : [
                {
                    "active-tag" : [
                    {
                        "data" : "*"
                    }
                    ],
                    "current-active" : [
                    {
                        "data" : [null]
                    }
                    ],
                    "age" : [
                    {
                        "data" : "1d 01:36:30",
                        "attributes" : {"junos:seconds" : "92190"}
                    }
                    ]
                }
                ]
            }
            ]
        }
        ]
    }
    ]
}
"#;
        assert_eq!(j, want);
        let v: serde_json::Value = serde_json::from_str(&j).expect("valid JSON");
        assert_eq!(
            v["route-information"][0]["route-table"][0]["table-name"][0]["data"],
            "inet.0"
        );
    }

    #[test]
    fn xml_matches_junos_layout() {
        let x = to_xml(&sample(), "18.4R3", "{primary:node0}");
        let want = r#"<rpc-reply xmlns:junos="http://xml.juniper.net/junos/18.4R3/junos">
    <route-information xmlns="http://xml.juniper.net/junos/18.4R3/junos-routing">
        <!-- keepalive -->
        <route-table>
            <table-name>inet.0</table-name>
            <rt junos:style="brief">
                <rt-destination>10.0.0.0/8</rt-destination>
                <rt-entry>
                    <active-tag>*</active-tag>
                    <current-active/>
                    <age junos:seconds="92190">1d 01:36:30</age>
                </rt-entry>
            </rt>
        </route-table>
    </route-information>
    <cli>
        <banner>{primary:node0}</banner>
    </cli>
</rpc-reply>
"#;
        assert_eq!(x, want);
    }
}
