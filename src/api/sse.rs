//! An incremental Server-Sent Events parser: bytes in, frames out, whatever the chunking.
//! Handles `\n`, `\r\n` and `\r` line ends, multi-line `data:`, comments, and ignores `id:`
//! and `retry:`. A frame is dispatched at a blank line.

/// One dispatched event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    pub event: Option<String>,
    pub data: String,
}

#[derive(Debug, Default)]
pub struct Parser {
    line: Vec<u8>,
    /// The previous byte was `\r`, so a following `\n` belongs to the same line end.
    after_cr: bool,
    event: Option<String>,
    data: Option<String>,
    /// Bytes held for the frame being built, to bound memory on a hostile stream.
    held: usize,
    limit: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("an event of the stream exceeded {0} bytes")]
pub struct FrameTooLarge(pub usize);

impl Parser {
    pub fn new(limit: usize) -> Self {
        Parser {
            limit,
            ..Parser::default()
        }
    }

    /// Feed a chunk; returns the frames it completed.
    pub fn feed(&mut self, chunk: &[u8]) -> Result<Vec<Frame>, FrameTooLarge> {
        let mut frames = Vec::new();
        for &byte in chunk {
            match byte {
                b'\n' if self.after_cr => self.after_cr = false,
                b'\n' | b'\r' => {
                    self.after_cr = byte == b'\r';
                    if let Some(frame) = self.end_line() {
                        frames.push(frame);
                    }
                }
                _ => {
                    self.after_cr = false;
                    self.line.push(byte);
                    self.held += 1;
                    if self.held > self.limit {
                        return Err(FrameTooLarge(self.limit));
                    }
                }
            }
        }
        Ok(frames)
    }

    /// Whether a frame was started but not finished: a stream that stops here was cut.
    pub fn is_mid_frame(&self) -> bool {
        !self.line.is_empty() || self.data.is_some() || self.event.is_some()
    }

    fn end_line(&mut self) -> Option<Frame> {
        let line = std::mem::take(&mut self.line);
        if line.is_empty() {
            self.held = 0;
            let event = self.event.take();
            return self.data.take().map(|data| Frame { event, data });
        }
        let line = String::from_utf8_lossy(&line);
        if line.starts_with(':') {
            return None;
        }
        let (name, value) = match line.split_once(':') {
            Some((name, value)) => (name, value.strip_prefix(' ').unwrap_or(value)),
            None => (line.as_ref(), ""),
        };
        match name {
            "event" => self.event = Some(value.to_owned()),
            "data" => match &mut self.data {
                Some(data) => {
                    data.push('\n');
                    data.push_str(value);
                }
                None => self.data = Some(value.to_owned()),
            },
            _ => {}
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn parse_all(chunks: &[&[u8]]) -> Vec<Frame> {
        let mut parser = Parser::new(1 << 20);
        chunks
            .iter()
            .flat_map(|c| parser.feed(c).unwrap_or_default())
            .collect()
    }

    #[test]
    fn frames_comments_and_multiline_data() {
        let text = b": keep-alive\nevent: step_started\nid: 7\ndata: {\"a\":\ndata: 1}\n\nevent: x\r\ndata: y\r\n\r\ndata: z\r\r";
        assert_eq!(
            parse_all(&[text]),
            vec![
                Frame {
                    event: Some("step_started".into()),
                    data: "{\"a\":\n1}".into()
                },
                Frame {
                    event: Some("x".into()),
                    data: "y".into()
                },
                Frame {
                    event: None,
                    data: "z".into()
                },
            ]
        );
    }

    #[test]
    fn a_cut_stream_is_mid_frame() {
        let mut parser = Parser::new(1024);
        assert_eq!(
            parser.feed(b"event: flow_completed\ndata: {\"res"),
            Ok(vec![])
        );
        assert!(parser.is_mid_frame());
    }

    #[test]
    fn oversized_frames_are_refused() {
        let mut parser = Parser::new(8);
        assert_eq!(parser.feed(b"data: 0123456789"), Err(FrameTooLarge(8)));
    }

    proptest! {
        #[test]
        fn chunking_never_changes_the_frames(text in "(event: [a-z_]{1,8}\n|data: [ -~]{0,12}(\n|\r\n|\r)|: c\n|\n|\r\n){0,20}", cut in 0usize..200) {
            let bytes = text.as_bytes();
            let cut = cut.min(bytes.len());
            prop_assert_eq!(parse_all(&[bytes]), parse_all(&[&bytes[..cut], &bytes[cut..]]));
        }

        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
            let mut parser = Parser::new(64);
            let _ = parser.feed(&bytes);
        }
    }
}
