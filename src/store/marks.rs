//! `queue_marks`: the rows marked in the queue for bulk work (`Ins`, `Alt+A`, `Alt+C`),
//! kept across a restart. Key: the order key; value: a big-endian id from sled's
//! `generate_id`, so the marks come back in the order they were made. Every change is
//! flushed before the bench shows it, like a scan; scans never write here.

use super::{Store, StoreError};

const TREE: &str = "queue_marks";

impl Store {
    fn marks_tree(&self) -> Result<sled::Tree, StoreError> {
        self.open_tree(TREE)
    }

    /// The marked order keys, in the order they were marked.
    pub fn marks(&self) -> Result<Vec<String>, StoreError> {
        let tree = self.marks_tree()?;
        let mut out: Vec<(u64, String)> = Vec::with_capacity(tree.len());
        for kv in tree.iter() {
            let (k, v) = kv.map_err(|e| self.io(e))?;
            let seq = <[u8; 8]>::try_from(v.as_ref()).map_or(u64::MAX, u64::from_be_bytes);
            out.push((seq, String::from_utf8_lossy(&k).into_owned()));
        }
        out.sort();
        Ok(out.into_iter().map(|(_, k)| k).collect())
    }

    /// Marks `add` (after the marks there are) and unmarks `remove`, durably. `clear`
    /// first removes every mark.
    pub fn save_marks(
        &self,
        add: &[String],
        remove: &[String],
        clear: bool,
    ) -> Result<(), StoreError> {
        let tree = self.marks_tree()?;
        if clear {
            tree.clear().map_err(|e| self.io(e))?;
        }
        let mut batch = sled::Batch::default();
        for k in remove {
            batch.remove(k.as_bytes());
        }
        for k in add {
            let seq = self.generate_id()?;
            batch.insert(k.as_bytes(), &seq.to_be_bytes());
        }
        tree.apply_batch(batch).map_err(|e| self.io(e))?;
        tree.flush().map_err(|e| self.io(e))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Marks are on disk when `save_marks` returns: a restart (the sled directory opened
    /// again) gives them back in the order they were made.
    #[test]
    fn marks_survive_a_restart_in_their_order() {
        let dir = tempfile::tempdir().expect("tempdir");
        let keys = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        {
            let st = Store::open(dir.path()).expect("open");
            assert!(st.marks().expect("read").is_empty());
            st.save_marks(&keys(&["demo:CZ3", "demo:CZ1"]), &[], false)
                .expect("save");
            st.save_marks(&keys(&["demo:CZ2"]), &keys(&["demo:CZ3"]), false)
                .expect("save");
        }
        let st = Store::open(dir.path()).expect("reopen");
        assert_eq!(st.marks().expect("read"), keys(&["demo:CZ1", "demo:CZ2"]));
        st.save_marks(&[], &[], true).expect("clear");
        drop(st);
        let st = Store::open(dir.path()).expect("reopen");
        assert!(st.marks().expect("read").is_empty());
    }
}
