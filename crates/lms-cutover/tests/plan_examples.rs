use lms_cutover::plan;

#[test]
fn phase29_parses() {
    let p = plan::load(concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/cutover/phase29.toml"));
    match p {
        Ok(p) => println!("{}", plan::show(&p)),
        Err(e) => panic!("{e}"),
    }
}
