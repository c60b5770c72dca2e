//! Rows marked in the queue for bulk work (create shipments, print labels).
//!
//! Kept apart from [`super::Queue`]: marks are order keys, so they survive a filter, a tab
//! change, a sync that re-sorts the rows and the background queue load, and the filter's
//! flat arrays are never touched (a keystroke over 100 000 rows costs what it did).

use std::collections::HashSet;

use super::Queue;

/// Marked order keys, in the order they were marked.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Marks {
    order: Vec<Box<str>>,
    set: HashSet<Box<str>>,
}

impl Marks {
    /// How many rows are marked.
    pub fn len(&self) -> usize {
        self.order.len()
    }

    pub fn is_empty(&self) -> bool {
        self.order.is_empty()
    }

    pub fn contains(&self, key: &str) -> bool {
        self.set.contains(key)
    }

    /// Marks `key`, or unmarks it when it was marked; returns whether it is marked now.
    pub fn toggle(&mut self, key: &str) -> bool {
        if self.set.remove(key) {
            self.order.retain(|k| k.as_ref() != key);
            false
        } else {
            self.set.insert(key.into());
            self.order.push(key.into());
            true
        }
    }

    /// Marks the queue's selected row (or unmarks it); `None` when the view is empty.
    pub fn toggle_selected(&mut self, queue: &Queue) -> Option<bool> {
        let key = queue.selected_row()?.key.clone();
        Some(self.toggle(&key))
    }

    /// Marks every row of the current tab and filter; returns the keys it added.
    pub fn mark_visible(&mut self, queue: &Queue) -> Vec<String> {
        let mut added = Vec::new();
        for i in 0..queue.visible_len() {
            if let Some(row) = queue.visible_row(i)
                && !self.set.contains(row.key.as_ref())
            {
                self.set.insert(row.key.clone());
                self.order.push(row.key.clone());
                added.push(row.key.to_string());
            }
        }
        added
    }

    /// Marks `key` (after the others) unless it is marked.
    pub fn add(&mut self, key: &str) {
        if !self.set.contains(key) {
            self.set.insert(key.into());
            self.order.push(key.into());
        }
    }

    /// Unmarks `keys`.
    pub fn remove(&mut self, keys: &[String]) {
        for k in keys {
            self.set.remove(k.as_str());
        }
        let set = &self.set;
        self.order.retain(|k| set.contains(k));
    }

    /// The marks are exactly `keys`, in that order (restored at start).
    pub fn set_keys(&mut self, keys: &[String]) {
        self.clear();
        for k in keys {
            self.add(k);
        }
    }

    pub fn clear(&mut self) {
        self.order.clear();
        self.set.clear();
    }

    /// The marked keys, in the order they were marked.
    pub fn keys(&self) -> Vec<String> {
        self.order.iter().map(|k| k.to_string()).collect()
    }
}

#[cfg(test)]
mod tests;
