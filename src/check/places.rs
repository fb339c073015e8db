//! Where the parts of a check's value stand in the suite file. A check's value is read as
//! JSON (`serde_json::Value`), which keeps no positions; checks nested in `all`, `any`, `not`,
//! `each` and `some` live inside such a value, so without these places an error deep inside
//! one could only point at the outermost mapping. They are read in the same pass as the value.

use crate::diagnostic::Position;
use serde::de::{self, Deserialize, Deserializer, IntoDeserializer, MapAccess, SeqAccess, Visitor};
use serde_json::Value;
use serde_saphyr::Spanned;
use std::fmt;

/// Where the parts of one value stand: its items, or its keys and their values. `Unknown`
/// for a scalar, and for a value that came from elsewhere (JSON, code).
#[derive(Debug, Clone, Default, PartialEq)]
pub enum Places {
    #[default]
    Unknown,
    List(Vec<Place>),
    Map(Vec<(String, Position, Place)>),
}

/// Where one value stands, and its parts.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Place {
    pub at: Position,
    pub inner: Places,
}

/// No parts known.
static NONE: Places = Places::Unknown;

impl Places {
    /// The place of item `index` of a list.
    pub fn item(&self, index: usize) -> Option<&Place> {
        match self {
            Places::List(items) => items.get(index),
            _ => None,
        }
    }

    /// The places of the key `name` of a mapping and of its value.
    pub fn entry(&self, name: &str) -> Option<(Position, &Place)> {
        match self {
            Places::Map(entries) => entries
                .iter()
                .find(|(key, ..)| key == name)
                .map(|(_, at, place)| (*at, place)),
            _ => None,
        }
    }
}

impl Place {
    /// This place, or `fallback` (with no parts) where it is unknown (line 0: a value read
    /// from JSON, whose parts were not copied from the template it was filled from).
    pub fn or(place: Option<&Place>, fallback: Position) -> (Position, &Places) {
        match place {
            Some(place) if place.at.line > 0 => (place.at, &place.inner),
            _ => (fallback, &NONE),
        }
    }
}

/// A value read with its places.
pub struct Located(pub Value, pub Places);

impl<'de> Deserialize<'de> for Located {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(LocatedVisitor)
    }
}

/// A scalar as `serde_json::Value` reads it (numbers, text, null), with no parts.
fn scalar<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Located, D::Error> {
    Value::deserialize(deserializer).map(|value| Located(value, Places::Unknown))
}

struct LocatedVisitor;

/// The visits of scalars that `serde_json::Value` reads as it would (numbers out of range
/// included), with no parts.
macro_rules! scalars {
    ($($visit:ident: $type:ty),*) => {$(
        fn $visit<E: de::Error>(self, v: $type) -> Result<Located, E> {
            scalar(v.into_deserializer())
        }
    )*};
}

impl<'de> Visitor<'de> for LocatedVisitor {
    type Value = Located;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any value")
    }

    scalars!(visit_bool: bool, visit_i64: i64, visit_i128: i128, visit_u64: u64, visit_u128: u128, visit_f64: f64);
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Located, E> {
        Ok(Located(Value::String(v.to_owned()), Places::Unknown))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Located, E> {
        Ok(Located(Value::String(v), Places::Unknown))
    }
    fn visit_none<E: de::Error>(self) -> Result<Located, E> {
        Ok(Located(Value::Null, Places::Unknown))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Located, E> {
        Ok(Located(Value::Null, Places::Unknown))
    }
    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Located, D::Error> {
        Located::deserialize(deserializer)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Located, A::Error> {
        let (mut values, mut places) = (Vec::new(), Vec::new());
        while let Some(item) = seq.next_element::<Spanned<Located>>()? {
            let Located(value, inner) = item.value;
            places.push(Place {
                at: Position::at(item.referenced),
                inner,
            });
            values.push(value);
        }
        Ok(Located(Value::Array(values), Places::List(places)))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Located, A::Error> {
        let (mut values, mut places) = (serde_json::Map::new(), Vec::new());
        while let Some(key) = map.next_key::<Spanned<String>>()? {
            let item = map.next_value::<Spanned<Located>>()?;
            let Located(value, inner) = item.value;
            let place = Place {
                at: Position::at(item.referenced),
                inner,
            };
            places.push((key.value.clone(), Position::of(&key), place));
            values.insert(key.value, value);
        }
        Ok(Located(Value::Object(values), Places::Map(places)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nested_parts_keep_their_lines_and_columns() {
        let yaml = "all:\n  - equals: 1\n  - any:\n      - matches: \"x\"\n";
        let Ok(Located(value, places)) = crate::yaml::from_str::<Located>(yaml) else {
            panic!("does not parse");
        };
        assert_eq!(
            value,
            serde_json::json!({"all": [{"equals": 1}, {"any": [{"matches": "x"}]}]})
        );
        let Some((key_at, all)) = places.entry("all") else {
            panic!("no places for `all`: {places:?}");
        };
        assert_eq!(key_at, Position::new(1, 1));
        let second = all.inner.item(1).map(|p| p.at);
        assert_eq!(second, Some(Position::new(3, 5)));
        let matches = all
            .inner
            .item(1)
            .and_then(|p| p.inner.entry("any"))
            .and_then(|(_, any)| any.inner.item(0))
            .and_then(|p| p.inner.entry("matches"))
            .map(|(key, value)| (key, value.at));
        assert_eq!(matches, Some((Position::new(4, 9), Position::new(4, 18))));
    }

    #[test]
    fn numbers_and_text_read_as_json_reads_them() {
        for yaml in [
            "1",
            "-3",
            "1.5",
            "18446744073709551615",
            "\"é\"",
            "true",
            "null",
            "~",
        ] {
            let located = crate::yaml::from_str::<Located>(yaml).map(|l| l.0).ok();
            let plain = crate::yaml::from_str::<Value>(yaml).ok();
            assert_eq!(located, plain, "{yaml}");
        }
    }

    #[test]
    fn an_unknown_place_falls_back_to_the_callers() {
        let fallback = Position::new(7, 3);
        assert_eq!(Place::or(None, fallback).0, fallback);
        let unknown = Place::default();
        assert_eq!(Place::or(Some(&unknown), fallback).0, fallback);
    }
}
