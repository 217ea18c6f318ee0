//! Reading a file into a header row and rows of text cells, whatever the marketplace wrote:
//! the encoding is sniffed (EXPORTS.md §3.4: xlsx by its `PK\x03\x04` signature, a UTF-8 BOM,
//! strict UTF-8, else GB18030, the superset of GBK), headers are trimmed and looked up by name,
//! cells lose their `="…"` wrapper, a leading tab or apostrophe, and surrounding spaces.

use std::collections::HashMap;
use std::io::Cursor;

use calamine::{Data, Reader, Xlsx};

use super::ImportError;
use crate::i18n::Message;

/// How the file was encoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Encoding {
    Xlsx,
    Utf8Bom,
    Utf8,
    Gb18030,
}

impl Encoding {
    /// The name shown in summaries.
    pub fn as_str(self) -> &'static str {
        match self {
            Encoding::Xlsx => "xlsx",
            Encoding::Utf8Bom => "utf-8-bom",
            Encoding::Utf8 => "utf-8",
            Encoding::Gb18030 => "gb18030",
        }
    }
}

/// Where rows go as they are read.
pub trait RowSink {
    /// The header row (names trimmed). An error stops the reading.
    fn headers(&mut self, headers: &[String]) -> Result<(), ImportError>;
    /// One data row: its line in the file and its cleaned cells (missing ones are empty).
    fn row(&mut self, line: u64, cells: &[String]);
}

/// Sniffs the encoding.
pub fn sniff(bytes: &[u8]) -> Encoding {
    if bytes.starts_with(b"PK\x03\x04") {
        Encoding::Xlsx
    } else if bytes.starts_with(b"\xEF\xBB\xBF") {
        Encoding::Utf8Bom
    } else if std::str::from_utf8(bytes).is_ok() {
        Encoding::Utf8
    } else {
        Encoding::Gb18030
    }
}

/// Reads a whole file into `sink`; returns the encoding found.
pub fn read_table(bytes: &[u8], sink: &mut dyn RowSink) -> Result<Encoding, ImportError> {
    let encoding = sniff(bytes);
    match encoding {
        Encoding::Xlsx => read_xlsx(bytes, sink)?,
        Encoding::Utf8Bom => read_csv(&bytes[3..], sink)?,
        Encoding::Utf8 => read_csv(bytes, sink)?,
        Encoding::Gb18030 => {
            let (text, _, _) = encoding_rs::GB18030.decode(bytes);
            read_csv(text.as_bytes(), sink)?
        }
    }
    Ok(encoding)
}

fn read_csv(bytes: &[u8], sink: &mut dyn RowSink) -> Result<(), ImportError> {
    if let Some(at) = bytes.iter().position(|b| *b == 0) {
        let line = bytes[..at].iter().filter(|b| **b == b'\n').count() + 1;
        return Err(ImportError::Unreadable(
            Message::new("import.error.nul").with("line", line),
        ));
    }
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(bytes);
    let mut record = csv::StringRecord::new();
    let mut header_seen = false;
    let mut cells: Vec<String> = Vec::new();
    let (mut line, mut counted_to) = (1u64, 0usize);
    loop {
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(error) => {
                let line = error.position().map(|p| p.line()).unwrap_or(0);
                return Err(ImportError::Unreadable(
                    Message::new("import.error.bad_csv")
                        .with("line", line)
                        .with("error", error),
                ));
            }
        }
        // The line the record starts on (a multi-line cell spans more). Counted from the byte
        // offset: after a CRLF the parser's own count stops between `\r` and `\n`.
        let offset = record
            .position()
            .map(|p| p.byte() as usize)
            .unwrap_or(counted_to)
            .min(bytes.len());
        line += bytes[counted_to..offset].iter().filter(|b| **b == b'\n').count() as u64;
        counted_to = offset;
        let line_here = if bytes.get(offset) == Some(&b'\n') {
            line + 1
        } else {
            line
        };
        cells.clear();
        cells.extend(record.iter().map(clean_cell));
        if cells.iter().all(String::is_empty) {
            continue;
        }
        if header_seen {
            sink.row(line_here, &cells);
        } else {
            sink.headers(&cells)?;
            header_seen = true;
        }
    }
    if !header_seen {
        return Err(ImportError::Unreadable(Message::new("import.error.empty")));
    }
    Ok(())
}

fn read_xlsx(bytes: &[u8], sink: &mut dyn RowSink) -> Result<(), ImportError> {
    let unreadable = |error: &dyn std::fmt::Display| {
        ImportError::Unreadable(Message::new("import.error.bad_xlsx").with("error", error))
    };
    let mut book: Xlsx<_> = Xlsx::new(Cursor::new(bytes)).map_err(|e| unreadable(&e))?;
    let range = match book.worksheet_range_at(0) {
        Some(Ok(range)) => range,
        Some(Err(error)) => return Err(unreadable(&error)),
        None => return Err(ImportError::Unreadable(Message::new("import.error.no_sheet"))),
    };
    let first_row = u64::from(range.start().map(|(row, _)| row).unwrap_or(0));
    let mut header_seen = false;
    for (index, row) in range.rows().enumerate() {
        let cells: Vec<String> = row.iter().map(|cell| clean_cell(&cell_text(cell))).collect();
        if cells.iter().all(String::is_empty) {
            continue;
        }
        let line = first_row + index as u64 + 1;
        if header_seen {
            sink.row(line, &cells);
        } else {
            sink.headers(&cells)?;
            header_seen = true;
        }
    }
    if !header_seen {
        return Err(ImportError::Unreadable(Message::new("import.error.empty_sheet")));
    }
    Ok(())
}

/// A spreadsheet cell as the text a CSV export would hold.
fn cell_text(cell: &Data) -> String {
    match cell {
        Data::Empty => String::new(),
        Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
        Data::Int(i) => i.to_string(),
        // Whole numbers without ".0"; money keeps its decimals.
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{f:.0}"),
        Data::Float(f) => f.to_string(),
        Data::Bool(b) => b.to_string(),
        Data::DateTime(dt) => excel_serial_to_text(dt.as_f64()),
        Data::Error(e) => format!("#{e:?}"),
    }
}

/// An Excel serial date (days since 1899-12-30) as `yyyy-MM-dd HH:mm:ss`.
fn excel_serial_to_text(serial: f64) -> String {
    let epoch = chrono::NaiveDate::from_ymd_opt(1899, 12, 30).and_then(|d| d.and_hms_opt(0, 0, 0));
    let seconds = (serial * 86_400.0).round() as i64;
    match epoch.and_then(|e| e.checked_add_signed(chrono::Duration::seconds(seconds))) {
        Some(at) => at.format("%Y-%m-%d %H:%M:%S").to_string(),
        None => serial.to_string(),
    }
}

/// A cell without the decorations exports add: surrounding spaces, the `="…"` formula wrapper
/// around long ids, a leading tab or apostrophe; and without the characters no text may hold
/// ([`crate::edge::strip_unsafe_chars`]).
pub fn clean_cell(raw: &str) -> String {
    let raw = crate::edge::strip_unsafe_chars(raw);
    let mut text = raw.trim();
    if let Some(inner) = text.strip_prefix("=\"").and_then(|t| t.strip_suffix('"')) {
        text = inner;
    }
    text = text.trim_start_matches(['\t', '\'']);
    text.trim().to_string()
}

/// Header names mapped to their column, by trimmed name.
pub struct Columns {
    index: HashMap<String, usize>,
}

impl Columns {
    /// The map of a header row.
    pub fn new(headers: &[String]) -> Columns {
        let mut index = HashMap::new();
        for (i, name) in headers.iter().enumerate() {
            // `, "收货地址 "`: a quote after a space is text to a CSV parser; drop it too.
            let name = name.trim().trim_matches('"').trim();
            index.entry(name.to_string()).or_insert(i);
        }
        Columns { index }
    }

    /// The column of the first of `names` present.
    pub fn find(&self, names: &[&str]) -> Option<usize> {
        names.iter().find_map(|name| self.index.get(*name).copied())
    }

    /// Whether a header named `name` exists.
    pub fn has(&self, name: &str) -> bool {
        self.index.contains_key(name)
    }
}

/// The cell at `column` of a row, empty when the column or cell is missing.
pub fn cell(cells: &[String], column: Option<usize>) -> &str {
    column.and_then(|c| cells.get(c)).map(String::as_str).unwrap_or("")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_wrapped_ids_stay_whole_strings() {
        assert_eq!(clean_cell("=\"3912837465012345678\""), "3912837465012345678");
        assert_eq!(clean_cell(" '3912837465012345678 "), "3912837465012345678");
        assert_eq!(clean_cell("\t123"), "123");
    }

    #[test]
    fn cells_lose_escapes_and_bidi_overrides_and_a_file_with_nul_is_refused() {
        assert_eq!(clean_cell("\u{1b}[31m买家\u{202E}\u{0}备注"), "[31m买家备注");
        assert!(matches!(
            read_table(b"a,b\n1,\x002\n", &mut Lines(Vec::new())),
            Err(ImportError::Unreadable(message))
                if message.key == "import.error.nul" && message.english().starts_with("Line 2:")
        ));
    }

    #[test]
    fn encodings_are_sniffed_in_the_documented_order() {
        assert_eq!(sniff(b"PK\x03\x04rest"), Encoding::Xlsx);
        assert_eq!(sniff(b"\xEF\xBB\xBF\xE8\xAE\xA2"), Encoding::Utf8Bom);
        assert_eq!(sniff("订单编号".as_bytes()), Encoding::Utf8);
        let (gbk, _, _) = encoding_rs::GBK.encode("订单编号");
        assert_eq!(sniff(&gbk), Encoding::Gb18030);
    }

    struct Lines(Vec<(u64, String)>);

    impl RowSink for Lines {
        fn headers(&mut self, _: &[String]) -> Result<(), ImportError> {
            Ok(())
        }
        fn row(&mut self, line: u64, cells: &[String]) {
            self.0.push((line, cells[0].clone()));
        }
    }

    #[test]
    fn rows_are_named_by_the_line_they_start_on_past_crlf_and_multi_line_cells() {
        let mut lines = Lines(Vec::new());
        read_table(b"a,b\r\n1,\"x\r\ny\"\r\n2,z\r\n", &mut lines).expect("reads");
        assert_eq!(lines.0, vec![(2, "1".to_string()), (4, "2".to_string())]);
        let mut lines = Lines(Vec::new());
        read_table(b"a,b\n1,x\n2,y\n", &mut lines).expect("reads");
        assert_eq!(lines.0, vec![(2, "1".to_string()), (3, "2".to_string())]);
    }

    #[test]
    fn excel_serial_dates_become_local_text() {
        assert_eq!(excel_serial_to_text(45726.5), "2025-03-10 12:00:00");
    }
}
