//! JSON for floats that may not be finite: a diverged run's losses are NaN or infinite, which
//! JSON has no number for (serde_json writes `null`, and cannot read that back as a float).
//! These write a finite value as a number and the others as `"nan"`, `"inf"` or `"-inf"`, and
//! read numbers, those strings and `null` (as NaN, for records written before), so that a
//! [`Run`](super::Run) survives a round trip through JSON exactly.

use serde::{Deserialize, Deserializer, Serializer};

/// One float as stored: a number, a name for a non-finite value, or null.
#[derive(Deserialize)]
#[serde(untagged)]
enum Stored {
    Number(f64),
    Name(String),
    Null(()),
}

fn to_f64<E: serde::de::Error>(stored: Stored) -> Result<f64, E> {
    match stored {
        Stored::Number(v) => Ok(v),
        Stored::Null(()) => Ok(f64::NAN),
        Stored::Name(name) => match name.as_str() {
            "nan" | "NaN" => Ok(f64::NAN),
            "inf" | "+inf" | "infinity" => Ok(f64::INFINITY),
            "-inf" | "-infinity" => Ok(f64::NEG_INFINITY),
            other => Err(E::custom(format!(
                "'{other}' is not a number (write a number, nan, inf or -inf)"
            ))),
        },
    }
}

fn write<S: Serializer>(v: f64, s: S) -> Result<S::Ok, S::Error> {
    if v.is_finite() {
        s.serialize_f64(v)
    } else if v.is_nan() {
        s.serialize_str("nan")
    } else if v > 0.0 {
        s.serialize_str("inf")
    } else {
        s.serialize_str("-inf")
    }
}

/// `#[serde(with = "float_serde::any")]` on an `f64`.
pub(crate) mod any {
    use super::*;

    pub(crate) fn serialize<S: Serializer>(v: &f64, s: S) -> Result<S::Ok, S::Error> {
        write(*v, s)
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
        to_f64(Stored::deserialize(d)?)
    }
}

/// `#[serde(with = "float_serde::vec")]` on a `Vec<f64>`.
pub(crate) mod vec {
    use super::*;
    use serde::ser::SerializeSeq;

    struct One(f64);

    impl serde::Serialize for One {
        fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            write(self.0, s)
        }
    }

    pub(crate) fn serialize<S: Serializer>(v: &[f64], s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(v.len()))?;
        for &x in v {
            seq.serialize_element(&One(x))?;
        }
        seq.end()
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<f64>, D::Error> {
        Vec::<Stored>::deserialize(d)?
            .into_iter()
            .map(to_f64)
            .collect()
    }
}

/// `#[serde(with = "float_serde::option")]` on an `Option<f64>` (`null` is `None` here).
pub(crate) mod option {
    use super::*;

    pub(crate) fn serialize<S: Serializer>(v: &Option<f64>, s: S) -> Result<S::Ok, S::Error> {
        match v {
            Some(x) => write(*x, s),
            None => s.serialize_none(),
        }
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
        match Stored::deserialize(d)? {
            Stored::Null(()) => Ok(None),
            other => to_f64(other).map(Some),
        }
    }
}
