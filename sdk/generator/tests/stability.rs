//! Changing one class's schema and regenerating changes exactly that class's model file.

mod common;

use common::*;
use hearth_sdkgen::Lang;

#[test]
fn changing_one_class_changes_exactly_its_model() {
    for lang in Lang::ALL {
        let before = generate("every_type", lang);
        let after = generate("changed_one", lang);
        let changed: Vec<&String> = before
            .keys()
            .chain(after.keys())
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .filter(|p| before.get(*p) != after.get(*p))
            .collect();
        assert_eq!(changed.len(), 1, "{lang}: expected only Team's model to change, got {changed:?}");
        assert!(changed[0].contains("Team"), "{lang}: the changed file is {}", changed[0]);
    }
}
