//! Reading a CSV file into named columns with line-numbered errors.

use std::path::Path;

use crate::error::LocalizeError;

/// A CSV file's header and a reader positioned on its first data row.
pub(crate) struct CsvTable {
    pub header: Vec<String>,
    reader: csv::Reader<std::fs::File>,
    path: std::path::PathBuf,
}

impl CsvTable {
    /// Opens `path` and reads its header.
    pub fn open(path: &Path) -> Result<CsvTable, LocalizeError> {
        let file = std::fs::File::open(path).map_err(|e| LocalizeError::io(path, e))?;
        let mut reader = csv::ReaderBuilder::new().has_headers(true).from_reader(file);
        let header: Vec<String> = reader
            .headers()
            .map_err(|e| LocalizeError::format(path, format!("cannot read the header: {e}")))?
            .iter()
            .map(|h| h.trim().to_string())
            .collect();
        if header.iter().all(String::is_empty) {
            return Err(LocalizeError::format(path, "empty file: no header row"));
        }
        Ok(CsvTable { header, reader, path: path.to_path_buf() })
    }

    /// The index of a required column.
    pub fn column(&self, name: &str) -> Result<usize, LocalizeError> {
        self.header.iter().position(|h| h == name).ok_or_else(|| {
            LocalizeError::format(&self.path, format!("no `{name}` column (columns are: {})", self.header.join(", ")))
        })
    }

    /// Calls `row(line, fields)` for every data row; `row` returns an error
    /// message, which is reported with the file and line.
    pub fn for_each(
        mut self,
        mut row: impl FnMut(&csv::StringRecord) -> Result<(), String>,
    ) -> Result<usize, LocalizeError> {
        let mut record = csv::StringRecord::new();
        let mut rows = 0;
        loop {
            match self.reader.read_record(&mut record) {
                Ok(false) => break,
                Ok(true) => {}
                Err(e) => return Err(LocalizeError::format(&self.path, e.to_string())),
            }
            let line = record.position().map_or(0, |p| p.line());
            row(&record).map_err(|m| LocalizeError::format(&self.path, format!("line {line}: {m}")))?;
            rows += 1;
        }
        if rows == 0 {
            return Err(LocalizeError::format(&self.path, "no data rows"));
        }
        Ok(rows)
    }
}

/// Parses field `index` (named `name`) as a number.
pub(crate) fn number(record: &csv::StringRecord, index: usize, name: &str) -> Result<f64, String> {
    let field = record.get(index).unwrap_or("").trim();
    field.parse::<f64>().map_err(|_| format!("`{name}` is `{field}`, not a number"))
}
