//! A little-endian byte codec for learned state saved to disk (detector
//! snapshots): writing never fails, reading returns `None` at the first
//! thing that does not fit, so a truncated or foreign file is refused, not
//! misread.

/// Appends values to a buffer.
#[derive(Debug, Default)]
pub struct Writer {
    /// The bytes so far.
    pub bytes: Vec<u8>,
}

impl Writer {
    /// A `u8`.
    pub fn u8(&mut self, v: u8) {
        self.bytes.push(v);
    }

    /// A `u16`.
    pub fn u16(&mut self, v: u16) {
        self.bytes.extend_from_slice(&v.to_le_bytes());
    }

    /// A `u32`.
    pub fn u32(&mut self, v: u32) {
        self.bytes.extend_from_slice(&v.to_le_bytes());
    }

    /// An `f32`.
    pub fn f32(&mut self, v: f32) {
        self.bytes.extend_from_slice(&v.to_le_bytes());
    }

    /// An `f64`.
    pub fn f64(&mut self, v: f64) {
        self.bytes.extend_from_slice(&v.to_le_bytes());
    }

    /// Text, length first.
    pub fn text(&mut self, s: &str) {
        self.u32(s.len() as u32);
        self.bytes.extend_from_slice(s.as_bytes());
    }
}

/// Reads values back, in the order they were written.
#[derive(Debug)]
pub struct Reader<'a> {
    rest: &'a [u8],
}

impl<'a> Reader<'a> {
    /// Reads from `bytes`.
    pub fn new(bytes: &'a [u8]) -> Self {
        Reader { rest: bytes }
    }

    fn take<const N: usize>(&mut self) -> Option<[u8; N]> {
        let (head, rest) = self.rest.split_first_chunk::<N>()?;
        self.rest = rest;
        Some(*head)
    }

    /// A `u8`.
    pub fn u8(&mut self) -> Option<u8> {
        self.take::<1>().map(|b| b[0])
    }

    /// A `u16`.
    pub fn u16(&mut self) -> Option<u16> {
        self.take().map(u16::from_le_bytes)
    }

    /// A `u32`.
    pub fn u32(&mut self) -> Option<u32> {
        self.take().map(u32::from_le_bytes)
    }

    /// An `f32`.
    pub fn f32(&mut self) -> Option<f32> {
        self.take().map(f32::from_le_bytes)
    }

    /// An `f64`.
    pub fn f64(&mut self) -> Option<f64> {
        self.take().map(f64::from_le_bytes)
    }

    /// Text written by [`Writer::text`].
    pub fn text(&mut self) -> Option<String> {
        let n = self.u32()? as usize;
        if n > self.rest.len() {
            return None;
        }
        let (head, rest) = self.rest.split_at(n);
        self.rest = rest;
        String::from_utf8(head.to_vec()).ok()
    }

    /// Whether everything was read.
    pub fn is_empty(&self) -> bool {
        self.rest.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_come_back_and_short_input_is_refused() {
        let mut w = Writer::default();
        w.u8(7);
        w.u16(300);
        w.u32(70_000);
        w.f32(1.5);
        w.f64(f64::NAN);
        w.text("cdn=B&country=DE");
        let mut r = Reader::new(&w.bytes);
        assert_eq!((r.u8(), r.u16(), r.u32(), r.f32()), (Some(7), Some(300), Some(70_000), Some(1.5)));
        assert!(r.f64().unwrap().is_nan());
        assert_eq!(r.text().as_deref(), Some("cdn=B&country=DE"));
        assert!(r.is_empty() && r.u8().is_none());
        let mut short = Reader::new(&w.bytes[..w.bytes.len() - 3]);
        short.take::<15>().unwrap();
        assert!(short.text().is_none());
    }
}
