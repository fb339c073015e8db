//! `flowcheck schema`: the JSON Schema of the suite format, for editors.

pub fn schema() -> u8 {
    match serde_json::to_string_pretty(&crate::check::suite_schema()) {
        Ok(text) => super::print_all(text + "\n"),
        Err(err) => {
            crate::errln!("error: cannot render the schema: {err}");
            crate::exit::INFRA
        }
    }
}
