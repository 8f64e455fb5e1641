//! The routes pane's state: which table shows, the filter being typed,
//! and the rows it leaves (drawn by [`crate::routes`]).

use std::sync::Arc;

use cutover_core::session::Command;

use super::{Action, App};
use crate::routes::{RowSet, filter_rows};

/// Routes pane state.
#[derive(Debug, Clone, Default)]
pub struct RoutesUi {
    /// Index into `live.tables`.
    pub table: usize,
    /// The operator chose the table; otherwise the freshest one shows.
    pub pinned: bool,
    pub scroll: usize,
    pub filter: String,
    pub editing: bool,
    /// The rows the filter leaves, computed when the filter or the table
    /// changes (never while drawing).
    pub rows: RowSet,
    rows_for: Option<(usize, String)>,
}

impl App {
    /// A key while the route filter is being typed.
    pub(super) fn update_filter(&mut self, action: Action) -> Option<Command> {
        match action {
            Action::Char(c) => self.routes.filter.push(c),
            Action::Backspace => {
                self.routes.filter.pop();
            }
            Action::ClearInput => self.routes.filter.clear(),
            Action::Submit => self.routes.editing = false,
            Action::Cancel => {
                self.routes.filter.clear();
                self.routes.editing = false;
            }
            _ => {}
        }
        self.routes.scroll = 0;
        self.refresh_rows();
        None
    }

    /// Recomputes the routes pane's rows when the table or the filter
    /// changed since the last time.
    pub(super) fn refresh_rows(&mut self) {
        let Some(table) = self.state.live.tables.get(self.routes.table) else {
            self.routes.rows = RowSet::default();
            self.routes.rows_for = None;
            return;
        };
        let key = (
            Arc::as_ptr(&table.latest) as usize,
            self.routes.filter.clone(),
        );
        if self.routes.rows_for.as_ref() == Some(&key) {
            return;
        }
        self.routes.rows = filter_rows(&table.latest, &self.routes.filter);
        self.routes.scroll = self
            .routes
            .scroll
            .min(self.routes.rows.len().saturating_sub(1));
        self.routes.rows_for = Some(key);
    }
}
