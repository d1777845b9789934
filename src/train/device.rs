//! Which backend and device a run trains on.

use crate::error::{Error, Result};
use burn::tensor::Device;
use serde::{Deserialize, Serialize};

/// The compute device of a run, chosen at run time. The CPU backends (`Flex`, the default,
/// and `Ndarray`) need no native library; the libtorch devices need the crate's
/// `tch` feature.
///
/// The default is flex, burn's pure-Rust CPU backend: on the digits baseline it trains about
/// 1.3-1.6x faster than ndarray and it stays ahead at every batch size and width of the
/// scaling table (README, "Benchmarks"). A build without the `flex` feature defaults to
/// ndarray.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(into = "String", try_from = "String")]
pub enum DeviceSpec {
    /// burn's ndarray backend on the CPU (feature `ndarray`; the name `ndarray`, or `cpu` as
    /// it was called before).
    Ndarray,
    /// burn's flex backend on the CPU (feature `flex`, on by default; the default device).
    Flex,
    /// libtorch on the CPU (feature `tch`).
    TorchCpu,
    /// libtorch on CUDA GPU number N (feature `tch` and a visible NVIDIA GPU).
    Cuda(usize),
}

impl Default for DeviceSpec {
    /// Flex when the build has it (the default features do), else ndarray.
    fn default() -> Self {
        if cfg!(feature = "flex") {
            DeviceSpec::Flex
        } else {
            DeviceSpec::Ndarray
        }
    }
}

impl DeviceSpec {
    /// The ndarray backend's former name (both CPU backends run on the CPU).
    #[deprecated(note = "use DeviceSpec::Ndarray: flex is a CPU backend too")]
    #[allow(non_upper_case_globals)]
    pub const Cpu: DeviceSpec = DeviceSpec::Ndarray;

    /// The name used in configs and the CLI: `ndarray`, `flex`, `torch-cpu`, `cuda:N`.
    pub fn name(&self) -> String {
        match self {
            DeviceSpec::Ndarray => "ndarray".into(),
            DeviceSpec::Flex => "flex".into(),
            DeviceSpec::TorchCpu => "torch-cpu".into(),
            DeviceSpec::Cuda(n) => format!("cuda:{n}"),
        }
    }

    /// The burn device, or an error that says how to make it available.
    pub fn to_device(&self) -> Result<Device> {
        match self {
            DeviceSpec::Ndarray => cpu_device(),
            DeviceSpec::Flex => flex_device(),
            DeviceSpec::TorchCpu | DeviceSpec::Cuda(_) => torch_device(*self),
        }
    }

    /// Whether this build and this machine can provide the device.
    pub fn is_available(&self) -> bool {
        self.to_device().is_ok()
    }
}

#[cfg(feature = "flex")]
fn flex_device() -> Result<Device> {
    Ok(Device::flex())
}

#[cfg(not(feature = "flex"))]
fn flex_device() -> Result<Device> {
    Err(Error::DeviceUnavailable {
        device: "flex".into(),
        reason: "this build has no flex backend: build with the default features (or `--features flex`), or use --device ndarray"
            .into(),
    })
}

/// The error for a libtorch device in a build without the `tch` feature. It is compiled in
/// every build, so that its text is tested in the builds with libtorch too.
#[cfg_attr(feature = "tch", allow(dead_code))]
fn libtorch_not_built(spec: DeviceSpec) -> Error {
    Error::DeviceUnavailable {
        device: spec.name(),
        reason: "this build of tunelab has no libtorch backend: build with `--features tch` \
                 after `eval \"$(scripts/setup-libtorch.sh)\"` (see README, 'Backends'), or use --device ndarray"
            .into(),
    }
}

#[cfg(not(feature = "tch"))]
fn torch_device(spec: DeviceSpec) -> Result<Device> {
    Err(libtorch_not_built(spec))
}

/// libtorch's CPU threads: 1 unless `TUNELAB_TORCH_THREADS` says otherwise. The matrices
/// of these models are small, so libtorch's intra-op threads mostly wait on each other (and
/// collapse when trials run in parallel or the machine is busy); tunelab uses the cores for
/// parallel trials instead.
#[cfg(feature = "tch")]
fn torch_threads() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let n = std::env::var("TUNELAB_TORCH_THREADS")
            .ok()
            .and_then(|v| v.parse::<i32>().ok())
            .filter(|&n| n >= 1)
            .unwrap_or(1);
        tch::set_num_threads(n);
    });
}

#[cfg(feature = "tch")]
#[allow(deprecated)]
fn torch_device(spec: DeviceSpec) -> Result<Device> {
    torch_threads();
    match spec {
        DeviceSpec::Cuda(n) => {
            let count = usize::try_from(tch::Cuda::device_count()).unwrap_or(0);
            if count == 0 {
                return Err(Error::DeviceUnavailable {
                    device: spec.name(),
                    reason: "libtorch sees no CUDA GPU here: use --device torch-cpu or flex; on a \
                             machine with an NVIDIA GPU, build against the CUDA libtorch from \
                             `scripts/setup-libtorch.sh --cuda`"
                        .into(),
                });
            }
            if n >= count {
                return Err(Error::DeviceUnavailable {
                    device: spec.name(),
                    reason: format!(
                        "only {count} CUDA GPU(s) are visible: use cuda:0 to cuda:{}",
                        count - 1
                    ),
                });
            }
            Ok(Device::libtorch_cuda(n))
        }
        _ => Ok(Device::libtorch()),
    }
}

#[cfg(feature = "ndarray")]
fn cpu_device() -> Result<Device> {
    #[allow(deprecated)]
    Ok(Device::ndarray())
}

#[cfg(not(feature = "ndarray"))]
fn cpu_device() -> Result<Device> {
    Err(Error::DeviceUnavailable {
        device: "ndarray".into(),
        reason: "this build has no ndarray backend: enable the crate's default `ndarray` feature, or use --device flex"
            .into(),
    })
}

impl std::fmt::Display for DeviceSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.name())
    }
}

impl From<DeviceSpec> for String {
    fn from(d: DeviceSpec) -> String {
        d.name()
    }
}

impl TryFrom<String> for DeviceSpec {
    type Error = Error;
    fn try_from(s: String) -> Result<Self> {
        s.parse()
    }
}

impl std::str::FromStr for DeviceSpec {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        let lower = s.trim().to_ascii_lowercase();
        match lower.as_str() {
            "cpu" | "ndarray" => Ok(DeviceSpec::Ndarray),
            "flex" => Ok(DeviceSpec::Flex),
            "torch-cpu" | "tch" | "libtorch" => Ok(DeviceSpec::TorchCpu),
            "cuda" | "gpu" => Ok(DeviceSpec::Cuda(0)),
            _ => {
                if let Some(n) = lower.strip_prefix("cuda:")
                    && let Ok(n) = n.parse::<usize>()
                {
                    return Ok(DeviceSpec::Cuda(n));
                }
                Err(Error::unknown(
                    "device",
                    s,
                    "ndarray (or cpu), flex, torch-cpu, cuda or cuda:N",
                ))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_names_devices() {
        for (text, spec) in [
            ("cpu", DeviceSpec::Ndarray),
            ("torch-cpu", DeviceSpec::TorchCpu),
            ("cuda", DeviceSpec::Cuda(0)),
            ("cuda:1", DeviceSpec::Cuda(1)),
        ] {
            assert_eq!(text.parse::<DeviceSpec>().unwrap(), spec);
        }
        assert_eq!(DeviceSpec::Cuda(2).name(), "cuda:2");
        // Every name reads back as its device; the ndarray backend's former name still works.
        for d in [
            DeviceSpec::Ndarray,
            DeviceSpec::Flex,
            DeviceSpec::TorchCpu,
            DeviceSpec::Cuda(3),
        ] {
            assert_eq!(d.name().parse::<DeviceSpec>().unwrap(), d);
        }
        #[allow(deprecated)]
        let old = DeviceSpec::Cpu;
        assert_eq!(old, DeviceSpec::Ndarray);
        assert!("tpu".parse::<DeviceSpec>().is_err());
        assert!("cuda:x".parse::<DeviceSpec>().is_err());
    }

    #[test]
    fn the_default_device_is_flex_when_built_and_ndarray_otherwise() {
        let expected = if cfg!(feature = "flex") {
            "flex"
        } else {
            "ndarray"
        };
        assert_eq!(DeviceSpec::default().name(), expected);
        assert!(DeviceSpec::default().is_available());
        assert_eq!(
            "ndarray".parse::<DeviceSpec>().unwrap(),
            DeviceSpec::Ndarray
        );
        assert_eq!("flex".parse::<DeviceSpec>().unwrap(), DeviceSpec::Flex);
    }

    #[test]
    fn libtorch_without_the_feature_says_how_to_fix_it() {
        let err = libtorch_not_built(DeviceSpec::Cuda(1)).to_string();
        assert!(err.contains("cuda:1"), "{err}");
        assert!(err.contains("--features tch"), "{err}");
        assert!(err.contains("scripts/setup-libtorch.sh"), "{err}");
        // Without the feature, that is what asking for a libtorch device gives.
        if !cfg!(feature = "tch") {
            let err = DeviceSpec::TorchCpu.to_device().unwrap_err().to_string();
            assert!(err.contains("--features tch"), "{err}");
        }
    }
}
