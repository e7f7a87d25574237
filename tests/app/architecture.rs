//! The layout ARCHITECTURE.md describes, checked: every `crate::…` and `super::…`
//! path in `src/` is an edge from its file to the module file it names. No file may
//! reach itself through those edges (no import circle), and a top-level module may
//! only use modules of a lower layer.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};

/// The layers, lowest first; a module uses only modules of lower layers. Keep in
/// step with ARCHITECTURE.md.
const LAYERS: &[&[&str]] = &[
    &["domain", "error"],
    &["clock", "crypto", "outbound"],
    &["db"],
    &["storage", "media"],
    &["config"],
    &["auth", "vault", "portable"],
    &["cache", "telemetry"],
    &["state", "jobs"],
    &["web"],
    &["routes"],
    &["startup"],
    &["demo", "lib"],
];

/// Compiled only for tests (and the `test-support` feature): anyone may use it.
const TEST_ONLY: &str = "test_support";

fn layer_of(module: &str) -> Option<usize> {
    LAYERS.iter().position(|layer| layer.contains(&module))
}

/// `src/a/b.rs` and `src/a/b/mod.rs` are module `a::b`; `src/lib.rs` is the root.
fn module_of(file: &Path, src: &Path) -> Vec<String> {
    let rel = file.strip_prefix(src).unwrap().with_extension("");
    let mut parts: Vec<String> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    if parts.last().is_some_and(|p| p == "mod") {
        parts.pop();
    }
    if parts == ["lib"] || parts == ["main"] {
        parts.clear();
    }
    parts
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The code without comments and string contents (a doc line may name a path).
fn code_of(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '/' if chars.peek() == Some(&'/') => {
                for c in chars.by_ref() {
                    if c == '\n' {
                        out.push('\n');
                        break;
                    }
                }
            }
            '"' => {
                let mut escaped = false;
                for c in chars.by_ref() {
                    match c {
                        '\\' if !escaped => escaped = true,
                        '"' if !escaped => break,
                        _ => escaped = false,
                    }
                }
                out.push_str("\"\"");
            }
            c => out.push(c),
        }
    }
    out
}

/// Every path starting with `crate::` or `super::`, with `use a::{b, c::d}` groups
/// expanded.
fn paths_in(code: &str) -> Vec<Vec<String>> {
    let bytes: Vec<char> = code.chars().collect();
    let mut found = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let starts_word = i == 0 || !(bytes[i - 1].is_alphanumeric() || bytes[i - 1] == '_');
        let rest: String = bytes[i..bytes.len().min(i + 7)].iter().collect();
        if starts_word && (rest.starts_with("crate::") || rest.starts_with("super::")) {
            let (paths, end) = read_path(&bytes, i);
            found.extend(paths);
            i = end.max(i + 1);
        } else {
            i += 1;
        }
    }
    found
}

/// Reads `a::b::{c, d::e}` from `start`; returns the paths and where it ended.
fn read_path(chars: &[char], start: usize) -> (Vec<Vec<String>>, usize) {
    let mut segments = Vec::new();
    let mut i = start;
    loop {
        let begin = i;
        while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
            i += 1;
        }
        if i > begin {
            segments.push(chars[begin..i].iter().collect::<String>());
        }
        if chars.get(i) == Some(&':') && chars.get(i + 1) == Some(&':') {
            i += 2;
            if chars.get(i) == Some(&'{') {
                let mut paths = Vec::new();
                i += 1;
                loop {
                    while i < chars.len() && (chars[i].is_whitespace() || chars[i] == ',') {
                        i += 1;
                    }
                    if i >= chars.len() || chars[i] == '}' {
                        break;
                    }
                    let (inner, end) = read_path(chars, i);
                    for tail in inner {
                        let mut full = segments.clone();
                        full.extend(tail);
                        paths.push(full);
                    }
                    i = end.max(i + 1);
                    // Skip `as name` and anything else up to the next item.
                    while i < chars.len() && chars[i] != ',' && chars[i] != '}' {
                        i += 1;
                    }
                }
                if paths.is_empty() {
                    paths.push(segments);
                }
                return (paths, i + 1);
            }
            continue;
        }
        return (vec![segments], i);
    }
}

struct Tree {
    src: PathBuf,
    /// Module path (`["routes", "clients", "show"]`) → its file.
    files: HashMap<Vec<String>, PathBuf>,
}

impl Tree {
    /// The file of the deepest module `path` names.
    fn resolve(&self, path: &[String]) -> Option<&PathBuf> {
        (0..=path.len())
            .rev()
            .find_map(|n| self.files.get(&path[..n]))
    }

    fn edges(&self) -> BTreeMap<PathBuf, BTreeSet<PathBuf>> {
        let mut edges: BTreeMap<PathBuf, BTreeSet<PathBuf>> = BTreeMap::new();
        for (module, file) in &self.files {
            let code = code_of(&std::fs::read_to_string(file).unwrap());
            for path in paths_in(&code) {
                let mut full: Vec<String> = module.clone();
                let mut rest = path.as_slice();
                if rest.first().is_some_and(|s| s == "crate") {
                    full.clear();
                    rest = &rest[1..];
                } else {
                    while rest.first().is_some_and(|s| s == "super") {
                        full.pop();
                        rest = &rest[1..];
                    }
                }
                full.extend(rest.iter().cloned());
                // The crate root only lists the modules (and holds exported macros).
                if let Some(target) = self.resolve(&full)
                    && target != file
                    && !full.is_empty()
                    && self.resolve(&full) != self.files.get(&Vec::new())
                {
                    edges
                        .entry(file.clone())
                        .or_default()
                        .insert(target.clone());
                }
            }
        }
        edges
    }

    fn top_of(&self, file: &Path) -> String {
        module_of(file, &self.src)
            .first()
            .cloned()
            .unwrap_or_else(|| "lib".into())
    }
}

fn tree() -> Tree {
    let src = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut all = Vec::new();
    rust_files(&src, &mut all);
    let files = all
        .into_iter()
        // The binary is its own crate: it reaches the library as `lauf::`.
        .filter(|f| f.file_name().is_some_and(|n| n != "main.rs"))
        .map(|f| (module_of(&f, &src), f))
        .collect();
    Tree { src, files }
}

/// A file that reaches itself again, as the chain of files that does it.
fn find_circle(edges: &BTreeMap<PathBuf, BTreeSet<PathBuf>>) -> Option<Vec<PathBuf>> {
    fn visit(
        file: &PathBuf,
        edges: &BTreeMap<PathBuf, BTreeSet<PathBuf>>,
        state: &mut HashMap<PathBuf, bool>,
        stack: &mut Vec<PathBuf>,
    ) -> Option<Vec<PathBuf>> {
        state.insert(file.clone(), false);
        stack.push(file.clone());
        for next in edges.get(file).into_iter().flatten() {
            match state.get(next) {
                Some(false) => {
                    let from = stack.iter().position(|f| f == next).unwrap();
                    let mut circle = stack[from..].to_vec();
                    circle.push(next.clone());
                    return Some(circle);
                }
                Some(true) => {}
                None => {
                    if let Some(circle) = visit(next, edges, state, stack) {
                        return Some(circle);
                    }
                }
            }
        }
        stack.pop();
        state.insert(file.clone(), true);
        None
    }
    let mut state = HashMap::new();
    for file in edges.keys() {
        if !state.contains_key(file)
            && let Some(circle) = visit(file, edges, &mut state, &mut Vec::new())
        {
            return Some(circle);
        }
    }
    None
}

#[test]
fn no_file_of_src_imports_itself_through_others() {
    let tree = tree();
    let edges = tree.edges();
    assert!(
        edges.len() > 50,
        "the checker found too few imports to be reading src/"
    );
    if let Some(circle) = find_circle(&edges) {
        let names: Vec<String> = circle
            .iter()
            .map(|f| f.strip_prefix(&tree.src).unwrap().display().to_string())
            .collect();
        panic!("import circle: {}", names.join(" -> "));
    }
}

#[test]
fn every_module_uses_only_lower_layers() {
    let tree = tree();
    let mut wrong = Vec::new();
    for (file, targets) in tree.edges() {
        let from = tree.top_of(&file);
        let from_layer =
            layer_of(&from).unwrap_or_else(|| panic!("module {from} is in no layer of LAYERS"));
        for target in targets {
            let to = tree.top_of(&target);
            if to == from || to == TEST_ONLY || from == TEST_ONLY {
                continue;
            }
            let to_layer =
                layer_of(&to).unwrap_or_else(|| panic!("module {to} is in no layer of LAYERS"));
            if to_layer >= from_layer {
                wrong.push(format!(
                    "{} uses {} ({from} may not use {to})",
                    file.strip_prefix(&tree.src).unwrap().display(),
                    target.strip_prefix(&tree.src).unwrap().display()
                ));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "layer rules broken:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn the_checker_reads_paths_as_rust_does() {
    let code = code_of(
        "use crate::db::{self, models::{clients, tasks::Task as T}};\n\
         // crate::ignored::in_comment\n\
         let s = \"crate::ignored::in_string\"; super::super::x::y(1);",
    );
    let paths: Vec<String> = paths_in(&code).iter().map(|p| p.join("::")).collect();
    assert_eq!(
        paths,
        [
            "crate::db::self",
            "crate::db::models::clients",
            "crate::db::models::tasks::Task",
            "super::super::x::y"
        ]
    );
}
