//! The site's build splits the viewer's lazy parts out of the linked module afterwards
//! (scripts/finish-wasm.sh, wasm-split-cli), which needs the module's relocations: the binary is
//! linked with `--emit-relocs` — only it, only for wasm32 and only with the `split` feature, so
//! the npm package's module (element/, one module) and every dependency build exactly as they
//! would without (and share the compiled dependencies with the site's build).
fn main() {
    let wasm = std::env::var("CARGO_CFG_TARGET_ARCH").is_ok_and(|arch| arch == "wasm32");
    if wasm && std::env::var_os("CARGO_FEATURE_SPLIT").is_some() {
        println!("cargo:rustc-link-arg-bins=--emit-relocs");
    }
    println!("cargo:rerun-if-changed=build.rs");
}
