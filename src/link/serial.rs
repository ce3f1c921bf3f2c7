//! Serial console ports (tokio-serial): opening with the line settings, clear errors for the
//! usual failures, and listing ports.

use super::{Link, LinkError, SerialOptions};
use tokio_serial::{DataBits, FlowControl, Parity, SerialPortBuilderExt, StopBits};

/// A line setting the port cannot take.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SettingError {
    #[error("data bits must be 5 to 8, not {0}")]
    DataBits(u8),
    #[error("parity must be none, odd or even, not {0:?}")]
    Parity(String),
    #[error("stop bits must be 1 or 2, not {0}")]
    StopBits(u8),
    #[error("flow control must be none, software or hardware, not {0:?}")]
    Flow(String),
}

fn settings(o: &SerialOptions) -> Result<(DataBits, Parity, StopBits, FlowControl), SettingError> {
    let data = match o.data_bits {
        5 => DataBits::Five,
        6 => DataBits::Six,
        7 => DataBits::Seven,
        8 => DataBits::Eight,
        n => return Err(SettingError::DataBits(n)),
    };
    let parity = match o.parity.to_ascii_lowercase().as_str() {
        "none" | "n" => Parity::None,
        "odd" | "o" => Parity::Odd,
        "even" | "e" => Parity::Even,
        p => return Err(SettingError::Parity(p.to_string())),
    };
    let stop = match o.stop_bits {
        1 => StopBits::One,
        2 => StopBits::Two,
        n => return Err(SettingError::StopBits(n)),
    };
    let flow = match o.flow.to_ascii_lowercase().as_str() {
        "none" => FlowControl::None,
        "software" | "xonxoff" | "xon/xoff" => FlowControl::Software,
        "hardware" | "rtscts" | "rts/cts" => FlowControl::Hardware,
        f => return Err(SettingError::Flow(f.to_string())),
    };
    Ok((data, parity, stop, flow))
}

/// Open `path` as a console port.
pub fn open_serial(path: &str, o: &SerialOptions) -> Result<Link, LinkError> {
    let (data, parity, stop, flow) = settings(o).map_err(|e| LinkError::Serial {
        path: path.to_string(),
        reason: e.to_string(),
    })?;
    // Check the device first: serialport's own errors are less specific than these.
    match std::fs::metadata(path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(LinkError::SerialMissing {
                path: path.to_string(),
            })
        }
        Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => {
            return Err(LinkError::SerialPermission {
                path: path.to_string(),
            })
        }
        _ => {}
    }
    let port = tokio_serial::new(path, o.baud)
        .data_bits(data)
        .parity(parity)
        .stop_bits(stop)
        .flow_control(flow)
        .open_native_async()
        .map_err(|e| {
            let msg = e.to_string();
            let low = msg.to_ascii_lowercase();
            if low.contains("permission denied") {
                LinkError::SerialPermission {
                    path: path.to_string(),
                }
            } else if low.contains("busy") {
                LinkError::SerialBusy {
                    path: path.to_string(),
                }
            } else if low.contains("no such file") || low.contains("not found") {
                LinkError::SerialMissing {
                    path: path.to_string(),
                }
            } else {
                LinkError::Serial {
                    path: path.to_string(),
                    reason: msg,
                }
            }
        })?;
    tracing::debug!(%path, baud = o.baud, "serial port open");
    let (r, w) = tokio::io::split(port);
    let p = match o.parity.to_ascii_lowercase().chars().next() {
        Some('o') => 'O',
        Some('e') => 'E',
        _ => 'N',
    };
    Ok(Link {
        reader: Box::new(r),
        writer: Box::new(w),
        description: format!("serial {path} {} {}{p}{}", o.baud, o.data_bits, o.stop_bits),
        // start bit + data bits + parity bit + stop bits per character
        bytes_per_sec: Some(
            o.baud
                / (1 + u32::from(o.data_bits) + u32::from(p != 'N') + u32::from(o.stop_bits))
                    .max(1),
        ),
        authenticated: false,
    })
}

/// Serial ports on this machine, with what is known of each.
pub fn list_ports() -> Result<Vec<(String, String)>, tokio_serial::Error> {
    let ports = tokio_serial::available_ports()?;
    Ok(ports
        .into_iter()
        .map(|p| {
            let kind = match p.port_type {
                tokio_serial::SerialPortType::UsbPort(u) => format!(
                    "USB {:04x}:{:04x} {} {}",
                    u.vid,
                    u.pid,
                    u.manufacturer.unwrap_or_default(),
                    u.product.unwrap_or_default()
                ),
                tokio_serial::SerialPortType::PciPort => "PCI".into(),
                tokio_serial::SerialPortType::BluetoothPort => "Bluetooth".into(),
                tokio_serial::SerialPortType::Unknown => "".into(),
            };
            (p.port_name, kind.trim().to_string())
        })
        .collect())
}
