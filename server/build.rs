// A release binary embeds the dashboard's built files (dashboard/dist): rebuild it when they
// change. Debug builds read them from disk at run time and need no rebuild.
fn main() {
    if std::env::var("PROFILE").as_deref() == Ok("release") {
        // The folder above dist: its own time changes when dist is created or removed.
        println!("cargo:rerun-if-changed=../dashboard/dist");
        println!("cargo:rerun-if-changed=../dashboard");
    } else {
        println!("cargo:rerun-if-changed=build.rs");
    }
}
