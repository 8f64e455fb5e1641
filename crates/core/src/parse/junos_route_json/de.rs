//! serde plumbing for Junos' JSON conventions: an element is an array of
//! `{"data": …, "attributes": …}` occurrences, or a lone object.

use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;

use serde::Deserialize;
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use super::{parse_as_path, parse_number};

/// A list that Junos writes as an array, or as a lone object where it knows
/// there is a single one (hidden and inactive routes, some older releases).
#[derive(Debug)]
pub(super) struct Many<T>(pub Vec<T>);

impl<T> Default for Many<T> {
    fn default() -> Self {
        Self(Vec::new())
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Many<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<T>(PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for V<T> {
            type Value = Many<T>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an array of objects or an object")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(1024));
                while let Some(item) = seq.next_element()? {
                    out.push(item);
                }
                Ok(Many(out))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                T::deserialize(de::value::MapAccessDeserializer::new(map)).map(|t| Many(vec![t]))
            }
        }
        d.deserialize_any(V(PhantomData))
    }
}

/// One element's values: `[{"data": V, "attributes": …}, …]`. Occurrences
/// without `data` (`[{}]`, an empty `active-tag`) contribute nothing.
#[derive(Debug)]
pub(super) struct Elem<V>(pub Vec<V>);

impl<V> Default for Elem<V> {
    fn default() -> Self {
        Self(Vec::new())
    }
}

impl<'de, V: Deserialize<'de>> Deserialize<'de> for Elem<V> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct ElemVisitor<V>(PhantomData<V>);
        impl<'de, V: Deserialize<'de>> Visitor<'de> for ElemVisitor<V> {
            type Value = Elem<V>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(r#"Junos' [{"data": …}] wrapper"#)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let mut out = Vec::new();
                while let Some(Occurrence(v)) = seq.next_element::<Occurrence<V>>()? {
                    out.extend(v);
                }
                Ok(Elem(out))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                let Occurrence(v) = OccurrenceVisitor(PhantomData).visit_map(map)?;
                Ok(Elem(v.into_iter().collect()))
            }
        }
        d.deserialize_any(ElemVisitor(PhantomData))
    }
}

/// One `{"data": V, "attributes": …}` object.
struct Occurrence<V>(Option<V>);

struct OccurrenceVisitor<V>(PhantomData<V>);

impl<'de, V: Deserialize<'de>> Visitor<'de> for OccurrenceVisitor<V> {
    type Value = Occurrence<V>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(r#"an object like {"data": …}"#)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut value = None;
        while let Some(key) = map.next_key::<IsData>()? {
            if key.0 && value.is_none() {
                value = Some(map.next_value::<V>()?);
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(Occurrence(value))
    }
}

impl<'de, V: Deserialize<'de>> Deserialize<'de> for Occurrence<V> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_map(OccurrenceVisitor(PhantomData))
    }
}

/// A map key, told apart as `data` or anything else without allocating.
struct IsData(bool);

impl<'de> Deserialize<'de> for IsData {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl Visitor<'_> for KeyVisitor {
            type Value = IsData;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a key")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<IsData, E> {
                Ok(IsData(v == "data"))
            }
        }
        d.deserialize_identifier(KeyVisitor)
    }
}

/// A `data` value as text, borrowed unless the JSON string holds escapes.
/// `[null]`, the value of a flag element, reads as empty text.
#[derive(Debug)]
pub(super) struct Text<'a>(pub Cow<'a, str>);

impl<'de: 'a, 'a> Deserialize<'de> for Text<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct TextVisitor;
        impl<'de> Visitor<'de> for TextVisitor {
            type Value = Text<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Text(Cow::Borrowed(v.trim())))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Text(Cow::Owned(v.trim().to_string())))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
                Ok(Text(Cow::Owned(v.to_string())))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
                Ok(Text(Cow::Owned(v.to_string())))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
                Ok(Text(Cow::Owned(v.to_string())))
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
                Ok(Text(Cow::Borrowed(if v { "true" } else { "false" })))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(Text(Cow::Borrowed("")))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Text(Cow::Borrowed("")))
            }
        }
        d.deserialize_any(TextVisitor)
    }
}

/// The first non-empty text of an element, if any.
#[derive(Debug, Default)]
pub(super) struct FirstText<'a>(pub Option<Cow<'a, str>>);

impl<'de: 'a, 'a> Deserialize<'de> for FirstText<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let all = Elem::<Text<'a>>::deserialize(d)?;
        Ok(FirstText(
            all.0.into_iter().map(|t| t.0).find(|t| !t.is_empty()),
        ))
    }
}

impl FirstText<'_> {
    pub(super) fn first(&self) -> Option<&str> {
        self.0.as_deref()
    }
}

/// Text an entry cannot go without (`rt-destination`); its absence is
/// reported where the element ends.
#[derive(Debug)]
pub(super) struct RequiredText<'a>(pub Cow<'a, str>);

impl<'de: 'a, 'a> Deserialize<'de> for RequiredText<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match FirstText::deserialize(d)?.0 {
            Some(t) => Ok(RequiredText(t)),
            None => Err(de::Error::custom(
                "empty value where a destination is required",
            )),
        }
    }
}

/// A numeric `data` value (`"170"`); anything else is an error here, where
/// serde_json still knows the position.
#[derive(Debug)]
pub(super) struct Number(pub Option<u32>);

impl<'de> Deserialize<'de> for Number {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct NumberVisitor;
        impl<'de> Visitor<'de> for NumberVisitor {
            type Value = Number;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a number")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Number, E> {
                parse_number(v).map(Number).map_err(E::custom)
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Number, E> {
                u32::try_from(v)
                    .map(|n| Number(Some(n)))
                    .map_err(|_| E::custom(format!("`{v}` is out of range")))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Number, E> {
                u32::try_from(v)
                    .map(|n| Number(Some(n)))
                    .map_err(|_| E::custom(format!("`{v}` is out of range")))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Number, E> {
                Ok(Number(None))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Number, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Number(None))
            }
        }
        d.deserialize_any(NumberVisitor)
    }
}

/// An `as-path` value, parsed where serde_json still knows the position.
#[derive(Debug)]
pub(super) struct AsPath(pub Option<Vec<u32>>);

impl<'de> Deserialize<'de> for AsPath {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct AsPathVisitor;
        impl<'de> Visitor<'de> for AsPathVisitor {
            type Value = AsPath;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an AS path")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<AsPath, E> {
                parse_as_path(v).map(|p| AsPath(Some(p))).map_err(E::custom)
            }
            fn visit_unit<E: de::Error>(self) -> Result<AsPath, E> {
                Ok(AsPath(None))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<AsPath, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(AsPath(None))
            }
        }
        d.deserialize_any(AsPathVisitor)
    }
}
