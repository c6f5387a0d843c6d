//! The browser build's entry (`web/build.sh` builds it for wasm32 and packages it with
//! `web/index.html`): the page's address chooses the window or a headless run (see `src/web.rs`).

#[cfg(target_arch = "wasm32")]
fn main() {
    feedlab::web::start();
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    eprintln!(
        "feedlab-web is the browser build: build it with web/build.sh (wasm32) and serve web/dist/; \
         natively, run `feedlab`"
    );
    std::process::exit(2);
}
