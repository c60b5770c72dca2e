//! The queue: every order's row, the tabs, sorting and the fuzzy filter.

use std::sync::Arc;

use crate::domain::summary::fold;
use crate::domain::{Money, OrderState, OrderSummary};

/// One queue row as the queue keeps it: small, with the text it shares with other rows
/// (carrier, service, country, currency) interned. [`Queue::row`] rebuilds the full
/// [`OrderSummary`] for storing.
#[derive(Debug, Clone, PartialEq)]
pub struct QueueRow {
    pub key: Box<str>,
    /// Where the order number starts in `key` (`source:number`).
    number_at: u16,
    pub state: OrderState,
    pub priority: u8,
    pub flags: crate::domain::Flags,
    pub cutoff_min: Option<u16>,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub items: crate::domain::Qty,
    cod_minor: Option<i64>,
    cod_currency: Arc<str>,
    pub carrier: Arc<str>,
    pub service: Arc<str>,
    pub country: Arc<str>,
    pub revision: u64,
    /// The shop status (interned: a shop has a handful).
    shop_status: Arc<str>,
}

impl QueueRow {
    /// The shop's order number.
    pub fn number(&self) -> &str {
        self.key.get(self.number_at as usize..).unwrap_or(&self.key)
    }

    /// Cash on delivery, if any.
    pub fn cod(&self) -> Option<Money> {
        self.cod_minor.map(|m| Money::new(m, &self.cod_currency))
    }

    /// The order's shop status (id or name, as the shop gives it).
    pub fn shop_status(&self) -> &str {
        &self.shop_status
    }
}

/// Hands out one shared copy of each distinct short text.
#[derive(Default)]
struct Interner(std::collections::HashSet<Arc<str>>);

impl Interner {
    fn get(&mut self, text: &str) -> Arc<str> {
        if let Some(a) = self.0.get(text) {
            return a.clone();
        }
        let a: Arc<str> = Arc::from(text);
        self.0.insert(a.clone());
        a
    }
}

/// From this many rows on, filtering uses two threads.
const PARALLEL_FROM: usize = 20_000;

/// The queue tabs, in order. Held: orders in a shop status neither packed here nor
/// cancelled (waiting for payment, on hold), shown with that status (`app::held`).
pub const TABS: [OrderState; 7] = [
    OrderState::ToPack,
    OrderState::InProgress,
    OrderState::Packed,
    OrderState::Ready,
    OrderState::Dispatched,
    OrderState::Exception,
    OrderState::Held,
];

/// All rows, sorted by priority (desc), carrier cut-off (earliest first), then age
/// (oldest first); plus the visible selection for the current tab and filter.
///
/// For the filter, what it reads is kept apart from the rows, in flat arrays (states,
/// character masks, and every haystack in one buffer): a keystroke over 100 000 orders
/// then walks a few megabytes in order instead of chasing 100 000 heap pointers. The rows
/// in `rows` hold an empty haystack; [`Queue::row`] gives it back.
pub struct Queue {
    rows: Vec<QueueRow>,
    interner: Interner,
    index: Index,
    /// Row positions sorted by order key, for lookups by key (binary search; a hash map
    /// would copy every key).
    by_key: Vec<u32>,
    counts: [usize; TABS.len()],
    tab: usize,
    visible: Vec<u32>,
    selected: usize,
    filter: String,
}

impl std::fmt::Debug for Queue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Queue")
            .field("rows", &self.rows.len())
            .field("tab", &self.tab)
            .field("visible", &self.visible.len())
            .field("filter", &self.filter)
            .finish()
    }
}

fn sort_key(r: &QueueRow) -> (std::cmp::Reverse<u8>, u16, i64, &str) {
    (
        std::cmp::Reverse(r.priority),
        r.cutoff_min.unwrap_or(u16::MAX),
        r.created_at.timestamp(),
        r.number(),
    )
}

fn tab_of(state: OrderState) -> Option<usize> {
    TABS.iter().position(|t| *t == state)
}

/// Loads every queue row from the store and builds the queue: what the bench does in the
/// background after its first frame. Damaged rows are logged and skipped.
pub fn load(store: &crate::store::Store) -> Result<Queue, crate::store::StoreError> {
    let mut failed = None;
    let rows = store.summaries_iter().filter_map(|r| match r {
        Ok(s) => Some(s),
        // A damaged row is skipped and logged; a storage error ends the load.
        Err(e @ crate::store::StoreError::Corrupt { .. }) => {
            tracing::error!(error = %e, "queue row skipped");
            None
        }
        Err(e) => {
            failed.get_or_insert(e);
            None
        }
    });
    let queue = Queue::from_rows(rows);
    if let Some(e) = failed {
        return Err(e);
    }
    release_freed_memory();
    Ok(queue)
}

/// Decoding 100 000 rows leaves tens of megabytes of freed heap behind (JSON buffers, the
/// haystack strings moved into the index); hand them back to the system so the bench's
/// resident memory is what it uses.
fn release_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only returns free memory at the top of glibc's heaps to the
    // system; it takes no pointers and is safe to call at any time.
    unsafe {
        libc::malloc_trim(0);
    }
}

impl Default for Queue {
    fn default() -> Queue {
        Queue::new(Vec::new())
    }
}

impl Queue {
    pub fn new(summaries: Vec<OrderSummary>) -> Queue {
        Queue::from_rows(summaries)
    }

    /// Builds the queue from rows as they come, converting each to its compact form at
    /// once (100 000 full summaries are never held together).
    pub fn from_rows(summaries: impl IntoIterator<Item = OrderSummary>) -> Queue {
        let mut interner = Interner::default();
        let mut unsorted = Vec::new();
        let mut index = Index::default();
        for s in summaries {
            let (row, haystack, customer) = compact(&mut interner, s);
            index.push(row.state, haystack, customer);
            unsorted.push(Some(row));
        }
        let mut order: Vec<u32> = (0..unsorted.len() as u32).collect();
        order.sort_by(
            |&a, &b| match (&unsorted[a as usize], &unsorted[b as usize]) {
                (Some(x), Some(y)) => sort_key(x).cmp(&sort_key(y)),
                _ => std::cmp::Ordering::Equal,
            },
        );
        let rows: Vec<QueueRow> = order
            .iter()
            .filter_map(|&i| unsorted.get_mut(i as usize).and_then(Option::take))
            .collect();
        index.permute(&order);
        let mut by_key: Vec<u32> = (0..rows.len() as u32).collect();
        by_key.sort_by(|&a, &b| rows[a as usize].key.cmp(&rows[b as usize].key));
        let mut counts = [0; TABS.len()];
        for r in &rows {
            if let Some(t) = tab_of(r.state) {
                counts[t] += 1;
            }
        }
        let mut q = Queue {
            index,
            interner,
            rows,
            by_key,
            counts,
            tab: 0,
            visible: Vec::new(),
            selected: 0,
            filter: String::new(),
        };
        q.refresh();
        q
    }

    /// Recomputes the visible rows for the tab and filter. Large queues are filtered on
    /// two threads (the bench machines have two cores or more).
    fn refresh(&mut self) {
        let state = TABS[self.tab];
        let atoms = atoms(&self.filter);
        let index = &self.index;
        let n = self.rows.len();
        let scan = |from: usize, to: usize| -> Vec<u32> {
            (from..to)
                .filter(|&i| index.hit(i, state, &atoms))
                .map(|i| i as u32)
                .collect()
        };
        self.visible = if atoms.is_empty() || n < PARALLEL_FROM {
            scan(0, n)
        } else {
            std::thread::scope(|s| {
                let second = s.spawn(|| scan(n / 2, n));
                let mut first = scan(0, n / 2);
                // The matcher does not panic; were it to, the second half would be
                // missing from the view (never from the store).
                first.extend(second.join().unwrap_or_default());
                first
            })
        };
        self.clamp_selection();
    }

    /// Narrows the visible rows to those that also match a longer filter; many rows
    /// (the second character of a search still matches most of the queue) on two threads.
    fn narrow(&mut self) {
        let state = TABS[self.tab];
        let atoms = atoms(&self.filter);
        let index = &self.index;
        let keep = |rows: &[u32]| -> Vec<u32> {
            rows.iter()
                .copied()
                .filter(|&i| index.hit(i as usize, state, &atoms))
                .collect()
        };
        let visible = std::mem::take(&mut self.visible);
        self.visible = if visible.len() < PARALLEL_FROM {
            keep(&visible)
        } else {
            let (a, b) = visible.split_at(visible.len() / 2);
            std::thread::scope(|s| {
                let second = s.spawn(|| keep(b));
                let mut first = keep(a);
                // As in `refresh`: the matcher does not panic.
                first.extend(second.join().unwrap_or_default());
                first
            })
        };
        self.clamp_selection();
    }

    fn clamp_selection(&mut self) {
        if self.selected >= self.visible.len() {
            self.selected = self.visible.len().saturating_sub(1);
        }
    }

    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    pub fn tab(&self) -> usize {
        self.tab
    }

    pub fn tab_state(&self) -> OrderState {
        TABS[self.tab]
    }

    pub fn count(&self, tab: usize) -> usize {
        self.counts.get(tab).copied().unwrap_or(0)
    }

    pub fn filter(&self) -> &str {
        &self.filter
    }

    /// Sets the filter. Typing one more character only re-checks the rows that matched
    /// before, so each keystroke gets cheaper.
    pub fn set_filter(&mut self, filter: &str) {
        if self.filter == filter {
            return;
        }
        let extends = !self.filter.trim().is_empty()
            && filter.starts_with(self.filter.as_str())
            && !filter[self.filter.len()..].contains(char::is_whitespace);
        self.filter = filter.to_string();
        self.selected = 0;
        if extends {
            self.narrow();
        } else {
            self.refresh();
        }
    }

    pub fn set_tab(&mut self, tab: usize) {
        self.tab = tab % TABS.len();
        self.selected = 0;
        self.refresh();
    }

    pub fn next_tab(&mut self) {
        self.set_tab(self.tab + 1);
    }

    pub fn prev_tab(&mut self) {
        self.set_tab(self.tab + TABS.len() - 1);
    }

    /// Rows of the current tab and filter.
    pub fn visible_len(&self) -> usize {
        self.visible.len()
    }

    pub fn visible_row(&self, i: usize) -> Option<&QueueRow> {
        self.visible.get(i).and_then(|&r| self.rows.get(r as usize))
    }

    pub fn selected(&self) -> usize {
        self.selected
    }

    pub fn selected_row(&self) -> Option<&QueueRow> {
        self.visible_row(self.selected)
    }

    /// Moves the selection by `delta` rows, clamped.
    pub fn move_by(&mut self, delta: isize) {
        if self.visible.is_empty() {
            return;
        }
        let max = self.visible.len() as isize - 1;
        self.selected = (self.selected as isize + delta).clamp(0, max) as usize;
    }

    fn position(&self, key: &str) -> Option<usize> {
        self.by_key
            .binary_search_by(|&i| self.rows[i as usize].key.as_ref().cmp(key))
            .ok()
            .map(|j| self.by_key[j] as usize)
    }

    /// The state of the row with `key` (no copy of the row).
    pub fn state_of(&self, key: &str) -> Option<OrderState> {
        self.position(key).map(|i| self.rows[i].state)
    }

    /// A row with its haystack and customer, ready to be stored.
    pub fn row(&self, key: &str) -> Option<OrderSummary> {
        let i = self.position(key)?;
        Some(self.full(i))
    }

    /// Row `i` as a whole summary again.
    fn full(&self, i: usize) -> OrderSummary {
        let r = &self.rows[i];
        OrderSummary {
            key: r.key.to_string(),
            number: r.number().to_string(),
            state: r.state,
            created_at: r.created_at,
            priority: r.priority,
            cutoff_min: r.cutoff_min,
            carrier: r.carrier.to_string(),
            service: r.service.to_string(),
            items: r.items,
            cod: r.cod(),
            country: r.country.to_string(),
            flags: r.flags,
            customer: self.index.customer(i).to_string(),
            revision: r.revision,
            haystack: self.index.haystack(i).to_string(),
            shop_status: r.shop_status.to_string(),
        }
    }

    /// Replaces one row (after a state change), keeping counts and the view right.
    pub fn upsert(&mut self, row: OrderSummary) {
        self.upsert_all(vec![row]);
    }

    /// Replaces or adds many rows (a shop sync): known rows are changed in place, and new
    /// ones are added with one rebuild of the queue, however many there are.
    pub fn upsert_all(&mut self, rows: Vec<OrderSummary>) {
        let mut new_rows = Vec::new();
        let mut changed_tab = false;
        for row in rows {
            let Some(i) = self.position(&row.key) else {
                new_rows.push(row);
                continue;
            };
            let old = self.rows[i].state;
            if let Some(t) = tab_of(old) {
                self.counts[t] -= 1;
            }
            if let Some(t) = tab_of(row.state) {
                self.counts[t] += 1;
            }
            changed_tab |= old != row.state;
            let (row, haystack, customer) = compact(&mut self.interner, row);
            self.index.set(i, row.state, haystack, customer);
            self.rows[i] = row;
        }
        if !new_rows.is_empty() {
            let mut all: Vec<OrderSummary> = (0..self.rows.len()).map(|i| self.full(i)).collect();
            all.extend(new_rows);
            let (tab, filter, selected) =
                (self.tab, std::mem::take(&mut self.filter), self.selected);
            *self = Queue::new(all);
            self.tab = tab;
            self.filter = filter;
            self.selected = selected;
            changed_tab = true;
        }
        if changed_tab {
            self.refresh();
        }
    }
}

/// Splits a summary into its compact row, its haystack and its customer.
fn compact(interner: &mut Interner, s: OrderSummary) -> (QueueRow, String, String) {
    let number_at = s
        .key
        .len()
        .checked_sub(s.number.len())
        .filter(|&at| s.key.get(at..) == Some(s.number.as_str()))
        .unwrap_or(0) as u16;
    let (cod_minor, cod_currency) = match &s.cod {
        Some(m) => (Some(m.minor), interner.get(&m.currency)),
        None => (None, interner.get("")),
    };
    let row = QueueRow {
        key: s.key.into_boxed_str(),
        number_at,
        state: s.state,
        priority: s.priority,
        flags: s.flags,
        cutoff_min: s.cutoff_min,
        created_at: s.created_at,
        items: s.items,
        cod_minor,
        cod_currency,
        carrier: interner.get(&s.carrier),
        service: interner.get(&s.service),
        country: interner.get(&s.country),
        revision: s.revision,
        shop_status: interner.get(&s.shop_status),
    };
    (row, s.haystack, s.customer)
}

/// The filter's view of the rows, in flat arrays.
/// The customer's name lives here too (as text, beside the haystack): it is only needed
/// when a row is stored again, and 100 000 small strings cost more than one buffer.
#[derive(Default)]
struct Index {
    states: Vec<OrderState>,
    masks: Vec<u64>,
    spans: Vec<(u32, u32)>,
    customers: Vec<(u32, u32)>,
    bytes: Vec<u8>,
}

impl Index {
    /// Puts the rows in `order` (new position → old position), text included, so that a
    /// filter pass reads the buffer front to back.
    fn permute(&mut self, order: &[u32]) {
        fn pick<T: Copy>(v: &[T], order: &[u32]) -> Vec<T> {
            order
                .iter()
                .filter_map(|&i| v.get(i as usize).copied())
                .collect()
        }
        let mut sorted = Index {
            states: pick(&self.states, order),
            masks: pick(&self.masks, order),
            spans: Vec::with_capacity(order.len()),
            customers: Vec::with_capacity(order.len()),
            bytes: Vec::with_capacity(self.bytes.len()),
        };
        for &i in order {
            let span = sorted.append(self.haystack(i as usize));
            sorted.spans.push(span);
            let c = sorted.append(self.customer(i as usize));
            sorted.customers.push(c);
        }
        *self = sorted;
    }

    fn push(&mut self, state: OrderState, haystack: String, customer: String) {
        self.states.push(state);
        self.masks.push(char_mask(&haystack));
        let span = self.append(&haystack);
        self.spans.push(span);
        let c = self.append(&customer);
        self.customers.push(c);
    }

    /// Replaces row `i`; changed text goes to the end of the buffer.
    fn set(&mut self, i: usize, state: OrderState, haystack: String, customer: String) {
        if let Some(s) = self.states.get_mut(i) {
            *s = state;
        }
        if self.haystack(i) != haystack {
            let span = self.append(&haystack);
            if let (Some(m), Some(sp)) = (self.masks.get_mut(i), self.spans.get_mut(i)) {
                *m = char_mask(&haystack);
                *sp = span;
            }
        }
        if self.customer(i) != customer {
            let span = self.append(&customer);
            if let Some(c) = self.customers.get_mut(i) {
                *c = span;
            }
        }
    }

    fn customer(&self, i: usize) -> &str {
        self.text(self.customers.get(i).copied())
    }

    fn append(&mut self, haystack: &str) -> (u32, u32) {
        let start = self.bytes.len() as u32;
        self.bytes.extend_from_slice(haystack.as_bytes());
        (start, haystack.len() as u32)
    }

    fn haystack(&self, i: usize) -> &str {
        self.text(self.spans.get(i).copied())
    }

    fn text(&self, span: Option<(u32, u32)>) -> &str {
        span.and_then(|(s, l)| self.bytes.get(s as usize..(s + l) as usize))
            .and_then(|b| std::str::from_utf8(b).ok())
            .unwrap_or("")
    }

    /// The bytes of row `i`'s haystack, not checked as UTF-8: the matcher compares bytes,
    /// and checking 100 000 haystacks again on every keystroke was a third of its time.
    fn haystack_bytes(&self, i: usize) -> &[u8] {
        self.spans
            .get(i)
            .and_then(|&(s, l)| self.bytes.get(s as usize..(s + l) as usize))
            .unwrap_or(&[])
    }

    /// Row `i` is in `state` and matches every word.
    fn hit(&self, i: usize, state: OrderState, atoms: &[Atom]) -> bool {
        self.states.get(i) == Some(&state)
            && self
                .masks
                .get(i)
                .is_some_and(|&m| matches(self.haystack_bytes(i), m, atoms))
    }
}

/// Every word of the filter matches the row fuzzily: its characters appear in the row in
/// order (fzf/nucleo fuzzy matching; the queue keeps its priority order, so no score is
/// needed). Rows without every character of a word are skipped by their mask first.
fn matches(hay: &[u8], mask: u64, atoms: &[Atom]) -> bool {
    atoms
        .iter()
        .all(|a| mask & a.mask == a.mask && is_subsequence(a.text.as_bytes(), hay))
}

/// Whether `needle`'s bytes occur in `hay` in order.
fn is_subsequence(needle: &[u8], hay: &[u8]) -> bool {
    let mut rest = hay;
    for &b in needle {
        match memchr::memchr(b, rest) {
            Some(i) => rest = &rest[i + 1..],
            None => return false,
        }
    }
    true
}

/// One word of the filter, folded, with the characters it needs.
struct Atom {
    text: String,
    mask: u64,
}

/// A bit per character class present: `a`–`z`, `0`–`9`, and one bit for anything else.
fn char_mask(text: &str) -> u64 {
    text.bytes().fold(0u64, |m, b| {
        m | match b {
            b'a'..=b'z' => 1 << (b - b'a'),
            b'0'..=b'9' => 1 << (26 + b - b'0'),
            _ => 1 << 36,
        }
    })
}

/// The filter's words, folded like the haystacks.
fn atoms(filter: &str) -> Vec<Atom> {
    filter
        .split_whitespace()
        .map(fold)
        .map(|a| a.replace(' ', ""))
        .filter(|a| !a.is_empty())
        .map(|text| Atom {
            mask: char_mask(&text),
            text,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Money, Qty};
    use chrono::DateTime;

    fn row(n: &str, prio: u8, cutoff: Option<u16>, age_s: i64, state: OrderState) -> OrderSummary {
        OrderSummary {
            key: format!("demo:{n}"),
            number: n.into(),
            state,
            created_at: DateTime::from_timestamp(1_700_000_000 - age_s, 0).unwrap_or_default(),
            priority: prio,
            cutoff_min: cutoff,
            carrier: "cp".into(),
            service: "DR".into(),
            items: Qty::units(1),
            cod: Some(Money::new(100, "CZK")),
            country: "CZ".into(),
            flags: Default::default(),
            customer: format!("Customer {n}"),
            revision: 0,
            haystack: fold(&format!("{n} Customer {n} SKU-{n}")),
            shop_status: String::new(),
        }
    }

    #[test]
    fn sorted_by_priority_cutoff_age() {
        let q = Queue::new(vec![
            row("A", 0, None, 100, OrderState::ToPack),
            row("B", 0, Some(600), 10, OrderState::ToPack),
            row("C", 1, None, 5, OrderState::ToPack),
            row("D", 0, None, 500, OrderState::ToPack),
            row("E", 0, None, 1, OrderState::Packed),
        ]);
        let order: Vec<_> = (0..q.visible_len())
            .filter_map(|i| q.visible_row(i).map(|r| r.number().to_string()))
            .collect();
        assert_eq!(order, vec!["C", "B", "D", "A"]);
        assert_eq!(q.count(0), 4);
        assert_eq!(q.count(2), 1);
    }

    #[test]
    fn many_new_rows_arrive_in_one_rebuild_and_keep_their_order() {
        let mut q = Queue::new(vec![row("A", 0, None, 100, OrderState::ToPack)]);
        q.set_filter("b");
        q.upsert_all(vec![
            row("B1", 1, None, 5, OrderState::ToPack),
            row("B2", 0, None, 500, OrderState::ToPack),
            row("A", 0, None, 100, OrderState::Packed),
        ]);
        assert_eq!(q.len(), 3);
        assert_eq!((q.count(0), q.count(2)), (2, 1));
        assert_eq!(q.filter(), "b", "the filter survives the rebuild");
        let order: Vec<_> = (0..q.visible_len())
            .filter_map(|i| q.visible_row(i).map(|r| r.number().to_string()))
            .collect();
        assert_eq!(order, vec!["B1", "B2"]);
    }

    #[test]
    fn a_large_view_narrows_on_two_threads_to_the_same_rows_in_queue_order() {
        let n = PARALLEL_FROM + 5_000;
        let q_rows: Vec<OrderSummary> = (0..n)
            .map(|i| row(&format!("N{i:05}"), 0, None, i as i64, OrderState::ToPack))
            .collect();
        let mut q = Queue::new(q_rows);
        q.set_filter("n");
        let wide = q.visible_len();
        assert_eq!(wide, n, "every row: the next letter narrows on two threads");
        q.set_filter("n1");
        let got: Vec<String> = (0..q.visible_len())
            .filter_map(|i| q.visible_row(i).map(|r| r.number().to_string()))
            .collect();
        // Oldest first (age_s = i), so descending i; a row matches when its number has a
        // 1 (every haystack starts with the n).
        let want: Vec<String> = (0..n)
            .rev()
            .map(|i| format!("N{i:05}"))
            .filter(|s| s.contains('1'))
            .collect();
        assert!(want.len() < n && !want.is_empty());
        assert_eq!(got, want);
    }

    #[test]
    fn filter_and_state_changes_move_rows_between_tabs() {
        let mut q = Queue::new(vec![
            row("CZ100", 0, None, 1, OrderState::ToPack),
            row("PL200", 0, None, 2, OrderState::ToPack),
        ]);
        q.set_filter("pl2");
        assert_eq!(q.visible_len(), 1);
        assert_eq!(q.selected_row().map(|r| r.number()), Some("PL200"));
        // Fuzzy, case- and diacritics-insensitive, every word must match.
        q.set_filter("Čústomer p2");
        assert_eq!(q.visible_len(), 1);
        q.set_filter("cz1 customer");
        assert_eq!(q.selected_row().map(|r| r.number()), Some("CZ100"));
        q.set_filter("cz1 customerx");
        assert_eq!(q.visible_len(), 0);
        q.set_filter("");
        let mut r = q.row("demo:CZ100").expect("row");
        assert!(
            r.haystack.contains("cz100"),
            "rows come back with their haystack"
        );
        r.state = OrderState::InProgress;
        q.upsert(r);
        assert_eq!((q.count(0), q.count(1)), (1, 1));
        assert_eq!(q.visible_len(), 1);
        q.next_tab();
        assert_eq!(q.selected_row().map(|r| r.number()), Some("CZ100"));
        q.prev_tab();
        q.prev_tab();
        assert_eq!(q.tab_state(), OrderState::Held);
        q.prev_tab();
        assert_eq!(q.tab_state(), OrderState::Exception);
    }
}
