//! The table's grid, resolved from the form file: which slot each cell takes
//! and how wide the grid's columns are.
//!
//! A form gives its table either as columns (`[table] columns`, cells
//! spanning `span` of them) or, as the original Word tables are made, row by
//! row: each cell its own width `w`. The grid is then the union of every
//! row's cell boundaries, as Word's `tblGrid` is, and a cell spans the grid
//! columns between its edges. A cell with `rows = 2` covers the same width
//! in the row below, whose cells take the room beside it.

use super::{CellSpec, TableSpec};

/// A cell in the grid.
#[derive(Clone, Copy, Debug)]
pub struct Placed<'a> {
    pub row: usize,
    pub col: usize,
    pub colspan: usize,
    pub rowspan: usize,
    pub cell: &'a CellSpec,
}

/// The resolved grid: column widths (mm, as the form gives them; layout
/// scales them to the text block) and the cells in reading order.
#[derive(Clone, Debug)]
pub struct Grid<'a> {
    pub columns: Vec<f32>,
    pub cells: Vec<Placed<'a>>,
}

/// A mistake in the grid: the row (0-based) and what.
pub type GridError = (usize, String);

/// Micrometres: edges are compared as whole numbers, not as sums of floats.
fn um(mm: f32) -> i64 {
    (f64::from(mm) * 1000.0).round() as i64
}

impl TableSpec {
    /// Resolves the grid, or says which row is wrong.
    pub fn grid(&self) -> Result<Grid<'_>, GridError> {
        match &self.columns {
            Some(columns) => self.grid_of_columns(columns),
            None => self.grid_of_widths(),
        }
    }

    /// Each cell takes the next free slot of its row and `span` columns.
    fn grid_of_columns(&self, columns: &[f32]) -> Result<Grid<'_>, GridError> {
        let ncols = columns.len();
        let nrows = self.rows.len();
        if ncols == 0 {
            return Err((0, "表格没有列（[table] columns）".into()));
        }
        let mut taken = vec![vec![false; ncols]; nrows];
        let mut cells = Vec::new();
        for (r, row) in self.rows.iter().enumerate() {
            let mut col = 0;
            for cell in &row.cells {
                while taken.get(r).and_then(|row| row.get(col)) == Some(&true) {
                    col += 1;
                }
                let (colspan, rowspan) = (cell.span.max(1), cell.rows.max(1));
                if col + colspan > ncols {
                    return Err((
                        r,
                        format!(
                            "表格第 {} 行的格子超出了表格：共 {ncols} 列，这一行的格子占到第 {} 列",
                            r + 1,
                            col + colspan
                        ),
                    ));
                }
                cells.push(self.place(r, col, colspan, rowspan, cell, &mut taken)?);
                col += colspan;
            }
            let filled = taken
                .get(r)
                .map_or(0, |row| row.iter().filter(|s| **s).count());
            if filled != ncols {
                return Err((
                    r,
                    format!(
                        "表格第 {} 行的格子共占 {filled} 列，应为 {ncols} 列（span 之和加上上方跨行的格子）",
                        r + 1
                    ),
                ));
            }
        }
        Ok(Grid {
            columns: columns.to_vec(),
            cells,
        })
    }

    /// Each cell has its own width `w`; the grid is the union of the edges.
    fn grid_of_widths(&self) -> Result<Grid<'_>, GridError> {
        // Every cell's edges, in micrometres from the table's left edge.
        let mut edges: Vec<(usize, i64, i64, &CellSpec)> = Vec::new();
        // Cells reaching down: (from x, to x, last row they cover).
        let mut reaching: Vec<(i64, i64, usize)> = Vec::new();
        let mut total: Option<i64> = None;
        for (r, row) in self.rows.iter().enumerate() {
            let mut x = 0;
            let skip = |x: &mut i64, reaching: &[(i64, i64, usize)]| {
                while let Some(&(_, to, _)) = reaching
                    .iter()
                    .find(|(from, _, last)| *from == *x && *last >= r)
                {
                    *x = to;
                }
            };
            for cell in &row.cells {
                skip(&mut x, &reaching);
                let Some(w) = cell.w.filter(|w| *w > 0.0) else {
                    return Err((r, format!("表格第 {} 行有一格没有写宽度 w（毫米）", r + 1)));
                };
                let to = x + um(w);
                if cell.rows > 1 {
                    if r + cell.rows > self.rows.len() {
                        return Err((
                            r,
                            format!(
                                "表格第 {} 行有一格向下跨 {} 行（rows），超出了表格的 {} 行",
                                r + 1,
                                cell.rows,
                                self.rows.len()
                            ),
                        ));
                    }
                    reaching.push((x, to, r + cell.rows - 1));
                }
                edges.push((r, x, to, cell));
                x = to;
            }
            skip(&mut x, &reaching);
            match total {
                None => total = Some(x),
                Some(t) if (t - x).abs() > 50 => {
                    return Err((
                        r,
                        format!(
                            "表格第 {} 行的格子共宽 {:.1} 毫米，与第 1 行的 {:.1} 毫米不同（w 之和加上上方跨行的格子）",
                            r + 1,
                            x as f32 / 1000.0,
                            t as f32 / 1000.0
                        ),
                    ));
                }
                Some(_) => {}
            }
        }
        let mut bounds: Vec<i64> = edges.iter().flat_map(|e| [e.1, e.2]).collect();
        bounds.sort_unstable();
        // Edges within 0.05 mm are one: widths are written to a tenth.
        bounds.dedup_by(|a, b| (*a - *b).abs() <= 50);
        let index = |x: i64| bounds.iter().position(|b| (b - x).abs() <= 50).unwrap_or(0);
        let columns: Vec<f32> = bounds
            .iter()
            .zip(bounds.iter().skip(1))
            .map(|(left, right)| (right - left) as f32 / 1000.0)
            .collect();
        let mut taken = vec![vec![false; columns.len()]; self.rows.len()];
        let mut cells = Vec::with_capacity(edges.len());
        for (r, from, to, cell) in edges {
            let col = index(from);
            let colspan = index(to).saturating_sub(col).max(1);
            cells.push(self.place(r, col, colspan, cell.rows.max(1), cell, &mut taken)?);
        }
        Ok(Grid { columns, cells })
    }

    /// Marks a cell's slots taken.
    fn place<'a>(
        &self,
        row: usize,
        col: usize,
        colspan: usize,
        rowspan: usize,
        cell: &'a CellSpec,
        taken: &mut [Vec<bool>],
    ) -> Result<Placed<'a>, GridError> {
        if row + rowspan > taken.len() {
            return Err((
                row,
                format!(
                    "表格第 {} 行有一格向下跨 {rowspan} 行（rows），超出了表格的 {} 行",
                    row + 1,
                    taken.len()
                ),
            ));
        }
        for line in taken.iter_mut().skip(row).take(rowspan) {
            for slot in line.iter_mut().skip(col).take(colspan) {
                *slot = true;
            }
        }
        Ok(Placed {
            row,
            col,
            colspan,
            rowspan,
            cell,
        })
    }
}
