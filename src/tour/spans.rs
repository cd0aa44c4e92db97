//! Source positions for the values of a RON document.
//!
//! serde hands the typed model no positions, so after a file deserialises we scan it once more
//! into a light tree of where every value starts. Validation then names `line:col` of the exact
//! value it complains about by walking that tree with the same path it walked the model with.

use std::fmt;

/// A 1-based line and column (columns count characters, as editors do).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct Pos {
    pub line: usize,
    pub col: usize,
}

impl fmt::Display for Pos {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.line, self.col)
    }
}

/// One step of a path into a document: a named field or a position in a list or tuple.
#[derive(Debug, Clone, PartialEq)]
pub enum Seg<'a> {
    Field(&'a str),
    Index(usize),
}

#[derive(Debug, Clone)]
pub struct Node {
    pub pos: Pos,
    /// The identifier before the value, if any: `Site(..)`, `Some(..)`, `Go(..)`, `true`.
    pub name: Option<String>,
    pub kind: NodeKind,
}

#[derive(Debug, Clone)]
pub enum NodeKind {
    /// `Name(field: value, ...)` or `(field: value, ...)`; each entry keeps its key position.
    Fields(Vec<(String, Pos, Node)>),
    /// `[a, b]`, `(a, b)`, `Name(a, b)`.
    Seq(Vec<Node>),
    /// `{k: v, ...}`.
    Map(Vec<(Node, Node)>),
    /// A string, number, char, bool or bare identifier.
    Atom(String),
}

impl Node {
    /// The node at `path`, looking through `Some(..)` and one-element variant wrappers.
    pub fn get(&self, path: &[Seg]) -> Option<&Node> {
        let mut node = self;
        for seg in path {
            node = node.unwrap_some().child(seg)?;
        }
        Some(node.unwrap_some())
    }

    /// Where the value at `path` starts, or the deepest part of the path that exists.
    pub fn locate(&self, path: &[Seg]) -> Pos {
        let mut node = self;
        for seg in path {
            match node.unwrap_some().child(seg) {
                Some(next) => node = next,
                None => break,
            }
        }
        node.pos
    }

    /// Where the key of the field at the end of `path` is written, if it is a named field.
    pub fn locate_key(&self, path: &[Seg]) -> Option<Pos> {
        let (last, parent) = path.split_last()?;
        let Seg::Field(name) = last else { return None };
        let parent = self.get(parent)?.unwrap_some();
        match &parent.kind {
            NodeKind::Fields(fields) => fields.iter().find(|(k, _, _)| k == name).map(|(_, p, _)| *p),
            _ => None,
        }
    }

    fn unwrap_some(&self) -> &Node {
        match (&self.name, &self.kind) {
            (Some(n), NodeKind::Seq(items)) if n == "Some" && items.len() == 1 => items[0].unwrap_some(),
            _ => self,
        }
    }

    fn child(&self, seg: &Seg) -> Option<&Node> {
        match (seg, &self.kind) {
            (Seg::Field(name), NodeKind::Fields(fields)) => {
                fields.iter().find(|(k, _, _)| k == name).map(|(_, _, v)| v)
            }
            // A newtype variant such as `Go((scene: ..))` or `Equirect("..")` holding fields.
            (Seg::Field(_), NodeKind::Seq(items)) if items.len() == 1 => items[0].unwrap_some().child(seg),
            (Seg::Index(i), NodeKind::Seq(items)) => items.get(*i),
            (Seg::Index(i), NodeKind::Map(entries)) => entries.get(*i).map(|(_, v)| v),
            _ => None,
        }
    }

    pub fn atom(&self) -> Option<&str> {
        match &self.kind {
            NodeKind::Atom(s) => Some(s),
            _ => None,
        }
    }
}

/// Byte offset of a 1-based line and (character) column.
pub fn offset(text: &str, pos: Pos) -> Option<usize> {
    let line_start = if pos.line <= 1 { 0 } else { text.match_indices('\n').nth(pos.line - 2).map(|(i, _)| i + 1)? };
    let rest = &text[line_start..];
    let col = rest.char_indices().nth(pos.col - 1).map(|(i, _)| i)?;
    Some(line_start + col)
}

/// Where the RON value starting at byte `start` ends: a string, a number or identifier, a
/// balanced `(...)` or `[...]`, or an identifier followed by one; strings and comments inside
/// are skipped. Tools that rewrite one value of a file in place (`tiles --site`, the studio)
/// replace `start..end` and keep every other byte.
pub fn value_end(text: &str, start: usize) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut i = start;
    if bytes.get(i) == Some(&b'"') {
        return string_end(bytes, i);
    }
    while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || matches!(bytes[i], b'_' | b'.' | b'-' | b'+')) {
        i += 1;
    }
    if i >= bytes.len() || !matches!(bytes[i], b'(' | b'[') {
        return (i > start).then_some(i);
    }
    let mut depth = 0usize;
    while i < bytes.len() {
        match bytes[i] {
            b'"' => {
                i = string_end(bytes, i)?;
                continue;
            }
            b'/' if bytes.get(i + 1) == Some(&b'/') => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                i += 2;
                while i + 1 < bytes.len() && !(bytes[i] == b'*' && bytes[i + 1] == b'/') {
                    i += 1;
                }
                i += 1;
            }
            b'(' | b'[' => depth += 1,
            b')' | b']' => {
                depth = depth.checked_sub(1)?;
                if depth == 0 {
                    return Some(i + 1);
                }
            }
            _ => {}
        }
        i += 1;
    }
    None
}

/// The byte after the string that opens at `start` (a `"`).
fn string_end(bytes: &[u8], start: usize) -> Option<usize> {
    let mut i = start + 1;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            b'"' => return Some(i + 1),
            _ => i += 1,
        }
    }
    None
}

/// Scan a RON document into a position tree. Returns `None` on text this scanner cannot follow;
/// by then serde has already accepted the file, so that only costs precision (positions fall
/// back to the start of the file), never correctness.
pub fn scan(src: &str) -> Option<Node> {
    let mut p = Scanner { chars: src.chars().collect(), i: 0, line: 1, col: 1 };
    p.skip_ws_and_attributes()?;
    let node = p.value()?;
    Some(node)
}

struct Scanner {
    chars: Vec<char>,
    i: usize,
    line: usize,
    col: usize,
}

impl Scanner {
    fn peek(&self) -> Option<char> {
        self.chars.get(self.i).copied()
    }

    fn peek_at(&self, k: usize) -> Option<char> {
        self.chars.get(self.i + k).copied()
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.i += 1;
        if c == '\n' {
            self.line += 1;
            self.col = 1;
        } else {
            self.col += 1;
        }
        Some(c)
    }

    fn pos(&self) -> Pos {
        Pos { line: self.line, col: self.col }
    }

    fn skip_ws(&mut self) -> Option<()> {
        loop {
            match (self.peek(), self.peek_at(1)) {
                (Some(c), _) if c.is_whitespace() => {
                    self.bump();
                }
                (Some('/'), Some('/')) => {
                    while !matches!(self.peek(), None | Some('\n')) {
                        self.bump();
                    }
                }
                (Some('/'), Some('*')) => {
                    self.bump();
                    self.bump();
                    let mut depth = 1;
                    while depth > 0 {
                        match (self.bump()?, self.peek()) {
                            ('*', Some('/')) => {
                                self.bump();
                                depth -= 1;
                            }
                            ('/', Some('*')) => {
                                self.bump();
                                depth += 1;
                            }
                            _ => {}
                        }
                    }
                }
                _ => return Some(()),
            }
        }
    }

    fn skip_ws_and_attributes(&mut self) -> Option<()> {
        self.skip_ws()?;
        while self.peek() == Some('#') {
            // `#![enable(...)]`
            while self.peek() != Some(']') {
                self.bump()?;
            }
            self.bump();
            self.skip_ws()?;
        }
        Some(())
    }

    fn value(&mut self) -> Option<Node> {
        self.skip_ws()?;
        let pos = self.pos();
        let c = self.peek()?;
        match c {
            '(' => self.parens(pos, None),
            '[' => {
                self.bump();
                let items = self.items(']')?;
                Some(Node { pos, name: None, kind: NodeKind::Seq(items) })
            }
            '{' => {
                self.bump();
                let mut entries = Vec::new();
                loop {
                    self.skip_ws()?;
                    if self.peek() == Some('}') {
                        self.bump();
                        break;
                    }
                    let k = self.value()?;
                    self.skip_ws()?;
                    if self.bump()? != ':' {
                        return None;
                    }
                    let v = self.value()?;
                    entries.push((k, v));
                    self.comma_or(|c| c == '}')?;
                }
                Some(Node { pos, name: None, kind: NodeKind::Map(entries) })
            }
            '"' => {
                let s = self.string()?;
                Some(Node { pos, name: None, kind: NodeKind::Atom(s) })
            }
            'r' if matches!(self.peek_at(1), Some('#') | Some('"')) => {
                let s = self.raw_string()?;
                Some(Node { pos, name: None, kind: NodeKind::Atom(s) })
            }
            '\'' => {
                self.bump();
                let mut s = String::new();
                loop {
                    match self.bump()? {
                        '\\' => s.push(self.bump()?),
                        '\'' => break,
                        c => s.push(c),
                    }
                }
                Some(Node { pos, name: None, kind: NodeKind::Atom(s) })
            }
            c if c.is_ascii_digit() || c == '-' || c == '+' || c == '.' => {
                let mut s = String::new();
                while let Some(c) = self.peek() {
                    if c.is_ascii_alphanumeric() || matches!(c, '-' | '+' | '.' | '_') {
                        s.push(c);
                        self.bump();
                    } else {
                        break;
                    }
                }
                Some(Node { pos, name: None, kind: NodeKind::Atom(s) })
            }
            c if c.is_alphabetic() || c == '_' => {
                let mut ident = String::new();
                while let Some(c) = self.peek() {
                    if c.is_alphanumeric() || c == '_' {
                        ident.push(c);
                        self.bump();
                    } else {
                        break;
                    }
                }
                self.skip_ws()?;
                if self.peek() == Some('(') {
                    self.parens(pos, Some(ident))
                } else {
                    Some(Node { pos, name: Some(ident.clone()), kind: NodeKind::Atom(ident) })
                }
            }
            _ => None,
        }
    }

    /// At `(`: named fields if the first thing inside is `ident :`, else a sequence.
    fn parens(&mut self, pos: Pos, name: Option<String>) -> Option<Node> {
        self.bump();
        self.skip_ws()?;
        if self.looks_like_field() {
            let mut fields = Vec::new();
            loop {
                self.skip_ws()?;
                if self.peek() == Some(')') {
                    self.bump();
                    break;
                }
                let key_pos = self.pos();
                let mut key = String::new();
                while let Some(c) = self.peek() {
                    if c.is_alphanumeric() || c == '_' {
                        key.push(c);
                        self.bump();
                    } else {
                        break;
                    }
                }
                self.skip_ws()?;
                if self.bump()? != ':' {
                    return None;
                }
                let v = self.value()?;
                fields.push((key, key_pos, v));
                self.comma_or(|c| c == ')')?;
            }
            Some(Node { pos, name, kind: NodeKind::Fields(fields) })
        } else {
            let items = self.items(')')?;
            Some(Node { pos, name, kind: NodeKind::Seq(items) })
        }
    }

    fn looks_like_field(&self) -> bool {
        let mut k = self.i;
        let start = k;
        while k < self.chars.len() && (self.chars[k].is_alphanumeric() || self.chars[k] == '_') {
            k += 1;
        }
        if k == start || !(self.chars[start].is_alphabetic() || self.chars[start] == '_') {
            return false;
        }
        while k < self.chars.len() && self.chars[k].is_whitespace() {
            k += 1;
        }
        k < self.chars.len() && self.chars[k] == ':'
    }

    fn items(&mut self, close: char) -> Option<Vec<Node>> {
        let mut items = Vec::new();
        loop {
            self.skip_ws()?;
            if self.peek() == Some(close) {
                self.bump();
                return Some(items);
            }
            items.push(self.value()?);
            self.comma_or(|c| c == close)?;
        }
    }

    fn comma_or(&mut self, is_close: impl Fn(char) -> bool) -> Option<()> {
        self.skip_ws()?;
        match self.peek()? {
            ',' => {
                self.bump();
                Some(())
            }
            c if is_close(c) => Some(()),
            _ => None,
        }
    }

    fn string(&mut self) -> Option<String> {
        self.bump();
        let mut s = String::new();
        loop {
            match self.bump()? {
                '\\' => {
                    let e = self.bump()?;
                    s.push(match e {
                        'n' => '\n',
                        't' => '\t',
                        other => other,
                    });
                }
                '"' => return Some(s),
                c => s.push(c),
            }
        }
    }

    fn raw_string(&mut self) -> Option<String> {
        self.bump(); // r
        let mut hashes = 0;
        while self.peek() == Some('#') {
            hashes += 1;
            self.bump();
        }
        if self.bump()? != '"' {
            return None;
        }
        let mut s = String::new();
        loop {
            let c = self.bump()?;
            if c == '"' && (0..hashes).all(|k| self.peek_at(k) == Some('#')) {
                for _ in 0..hashes {
                    self.bump();
                }
                return Some(s);
            }
            s.push(c);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOC: &str = r#"// a comment
Site(
    id: "a",
    scenes: [
        (
            id: "b", /* inline */
            view: (yaw: 10.0, pitch: -5.0),
            kind: Go(scene: "c", site: Some("d")),
            panorama: Equirect("x.jpg"),
        ),
    ],
    map: {"k": (x: 1.0)},
)
"#;

    #[test]
    fn positions_of_nested_values() {
        let root = scan(DOC).expect("scans");
        assert_eq!(root.name.as_deref(), Some("Site"));
        assert_eq!(root.locate(&[Seg::Field("id")]), Pos { line: 3, col: 9 });
        let yaw = [Seg::Field("scenes"), Seg::Index(0), Seg::Field("view"), Seg::Field("yaw")];
        assert_eq!(root.locate(&yaw), Pos { line: 7, col: 25 });
        assert_eq!(root.get(&yaw).and_then(Node::atom), Some("10.0"));
        assert_eq!(root.locate_key(&yaw), Some(Pos { line: 7, col: 20 }));
        let site = [Seg::Field("scenes"), Seg::Index(0), Seg::Field("kind"), Seg::Field("site")];
        assert_eq!(root.get(&site).and_then(Node::atom), Some("d"), "looks through Some(..)");
        let pano = [Seg::Field("scenes"), Seg::Index(0), Seg::Field("panorama"), Seg::Index(0)];
        assert_eq!(root.get(&pano).and_then(Node::atom), Some("x.jpg"));
    }

    #[test]
    fn missing_paths_fall_back_to_the_deepest_existing_value() {
        let root = scan(DOC).expect("scans");
        let p = root.locate(&[Seg::Field("scenes"), Seg::Index(0), Seg::Field("nope")]);
        assert_eq!(p, Pos { line: 5, col: 9 });
        assert_eq!(root.locate(&[Seg::Field("scenes"), Seg::Index(7)]), Pos { line: 4, col: 13 });
    }

    #[test]
    fn columns_count_characters_not_bytes() {
        let root = scan("(a: \"赤峰\", b: 1.0)").expect("scans");
        assert_eq!(root.locate(&[Seg::Field("b")]), Pos { line: 1, col: 14 });
    }

    #[test]
    fn unscannable_text_gives_none() {
        assert!(scan("(a: ").is_none());
        assert!(scan("(a: \"open").is_none());
    }
    #[test]
    fn value_end_skips_strings_and_comments() {
        let t = r#"Equirect("a(b).jpg" /* ) */ // )
        ), next"#;
        let end = value_end(t, 0).expect("end");
        assert_eq!(&t[end..], ", next");
        assert_eq!(value_end("Foo, x", 0), Some(3));
        assert_eq!(value_end(r#""a \" ) b", x"#, 0), Some(10));
        assert_eq!(value_end("-12.5, x", 0), Some(5));
        assert_eq!(value_end("[(a: \"]\"), 2], x", 0), Some(13));
    }

    #[test]
    fn offsets_count_characters() {
        let t = "ab\n赤峰x";
        assert_eq!(offset(t, Pos { line: 2, col: 3 }), Some(3 + 6));
        assert_eq!(&t[offset(t, Pos { line: 2, col: 3 }).unwrap()..], "x");
    }
}
