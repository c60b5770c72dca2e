//! Labels and slips at the bench, from the station's one label store
//! ([`crate::docs::LabelStore`], shared with the outbox worker and `packdesk doc labels`):
//! where a parcel's label is, the print job for a label (on the station's next free A4
//! quarter when the label printer takes sheets of four), the packing slip, and bulk labels.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use super::Pipeline;
use crate::app::Msg;
use crate::app::print::{BenchNotice, PrintMsg};
use crate::docs::{LabelFormat, PackingSlip, label_format, packing_slip_pdf};
use crate::domain::Order;
use crate::print::{DocKind, Format, JobContent, LabelSize, NewJob, SlipWhen};

/// One station's quarter is read, used and advanced by one label at a time.
static QUARTER: Mutex<()> = Mutex::new(());

/// What bulk label printing made.
#[derive(Debug, Default)]
pub struct BulkLabels {
    pub jobs: Vec<NewJob>,
    /// Labels placed (PDF) or sent (ZPL).
    pub labels: usize,
    /// Orders or parcels without a usable label, with the reason.
    pub skipped: Vec<String>,
    /// The next free quarter after the sheets, on A4 sheets of four.
    pub quarter: Option<u8>,
}

impl Pipeline {
    /// The station's name (for its next free quarter).
    pub fn with_station(mut self, station: &str) -> Pipeline {
        self.station = station.to_string();
        self
    }

    pub fn station(&self) -> &str {
        &self.station
    }

    /// Where a parcel's label is: the label store's file linked to the parcel, else (data
    /// of an older version) the shipment's `label_path` if that file is still there.
    pub fn label_source(
        &self,
        order_key: &str,
        parcel_no: u32,
        label_path: Option<&str>,
    ) -> Option<PathBuf> {
        let ls = self.outbox.label_store();
        if let Ok(Some(hash)) = ls.linked(order_key, parcel_no)
            && let Ok(Some((path, _))) = ls.path(&hash)
        {
            return Some(path);
        }
        label_path
            .map(PathBuf::from)
            .filter(|p| std::fs::metadata(p).is_ok_and(|m| m.len() > 0))
    }

    fn label_size(&self) -> Option<LabelSize> {
        self.printing.as_ref().map(|p| p.printers.label.size)
    }

    /// The station's next free quarter when its label printer takes A4 sheets of four.
    pub fn quarter(&self, station: &str) -> Option<u8> {
        (self.label_size() == Some(LabelSize::A4Quarter))
            .then(|| crate::docs::next_free_quarter(&self.store, station).unwrap_or(1))
    }

    /// A new sheet is in the label printer: the next label goes on quarter 1.
    pub fn new_sheet(&self, station: &str) -> Result<Option<u8>, String> {
        let _g = QUARTER.lock().unwrap_or_else(|e| e.into_inner());
        crate::docs::set_next_free_quarter(&self.store, station, 1).map_err(|e| e.to_string())?;
        Ok(self.quarter(station))
    }

    /// The print job of one stored label file for the label printer. A PDF label on an
    /// A4-quarter label printer is placed on the station's next free quarter (the
    /// quarter is advanced); the second value is then the next free quarter.
    pub fn label_job(
        &self,
        path: &Path,
        name: &str,
        order_key: &str,
        station: &str,
    ) -> Result<(NewJob, Option<u8>), String> {
        let Some(p) = self.printing.as_ref() else {
            return Err("no printers are configured".into());
        };
        let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let format = match label_format(&bytes) {
            Some(LabelFormat::Zpl) => Format::Zpl,
            _ => Format::Pdf,
        };
        let (_, printer) = p
            .printers
            .route(DocKind::Label, format, &p.out_dir)
            .map_err(|e| e.to_string())?;
        let mut job = NewJob {
            name: name.to_string(),
            kind: DocKind::Label,
            format,
            content: JobContent::File(path.to_path_buf()),
            printer,
            key: Some(order_key.to_string()),
        };
        let mut next = None;
        if format == Format::Pdf && p.printers.label.size == LabelSize::A4Quarter {
            let _g = QUARTER.lock().unwrap_or_else(|e| e.into_inner());
            let q = crate::docs::next_free_quarter(&self.store, station).unwrap_or(1);
            let (pdf, n) = crate::docs::impose_a4x4(&[bytes], q).map_err(|e| e.to_string())?;
            crate::docs::set_next_free_quarter(&self.store, station, n)
                .map_err(|e| e.to_string())?;
            job.name = format!("q{q}-{}", job.name);
            job.content = JobContent::Bytes(pdf);
            next = Some(n);
        }
        Ok((job, next))
    }

    /// Queues a label file for the label printer in the background (see
    /// [`Pipeline::label_job`]); the bench hears where the next quarter is.
    pub fn print_label(&self, path: &Path, name: &str, order_key: &str) -> Vec<Msg> {
        let Some(p) = self.printing.clone() else {
            return Vec::new();
        };
        match self.label_job(path, name, order_key, &self.station) {
            Ok((job, next)) => {
                tokio::spawn(async move {
                    if let Err(e) = p.queue.enqueue(job).await {
                        tracing::error!(error = %e, "queueing the label print failed");
                    }
                });
                next.map(|q| vec![Msg::Bench(PrintMsg::Quarter(Some(q)))])
                    .unwrap_or_default()
            }
            Err(e) => {
                tracing::error!(error = %e, "preparing the label print failed");
                vec![Msg::Print(crate::app::PrintNote::Failed {
                    name: path.display().to_string(),
                    error: e,
                })]
            }
        }
    }

    /// When the packing slip prints by itself (`[printers] slip`); `None` without printers.
    pub fn slip_when(&self) -> Option<SlipWhen> {
        self.printing.as_ref().map(|p| p.printers.slip)
    }

    /// The packing slip of `order` as a job for the document printer.
    pub fn slip_job(&self, order: &Order, station: &str) -> Result<NewJob, String> {
        let Some(p) = self.printing.as_ref() else {
            return Err("no printers are configured".into());
        };
        let pdf = packing_slip_pdf(&PackingSlip::from_order(order, station))
            .map_err(|e| e.to_string())?;
        let (_, printer) = p
            .printers
            .route(DocKind::Slip, Format::Pdf, &p.out_dir)
            .map_err(|e| e.to_string())?;
        let safe = crate::docs::order_docs::safe_name(&order.number);
        Ok(NewJob {
            name: format!("slip-{safe}.pdf"),
            kind: DocKind::Slip,
            format: Format::Pdf,
            content: JobContent::Bytes(pdf),
            printer,
            key: Some(order.key()),
        })
    }

    /// Queues the packing slip in the background; the answer is the bench's notice.
    pub fn print_slip(&self, order: &Order, station: &str) -> Msg {
        let number = order.number.clone();
        let notice = match (self.printing.clone(), self.slip_job(order, station)) {
            (Some(p), Ok(job)) => {
                tokio::spawn(async move {
                    if let Err(e) = p.queue.enqueue(job).await {
                        tracing::error!(error = %e, "queueing the packing slip failed");
                    }
                });
                BenchNotice::SlipQueued { number }
            }
            (None, _) => BenchNotice::NoPrinters,
            (_, Err(error)) => BenchNotice::SlipFailed { error },
        };
        Msg::Bench(PrintMsg::Notice(notice))
    }

    /// The print jobs of the stored labels of `keys` (in that order, parcels in order):
    /// PDF labels together, 4-up from the station's next free quarter (which is advanced)
    /// on an A4-quarter label printer, else one label a page (a roll); ZPL labels one job
    /// each. Orders without a stored label are skipped and named.
    pub fn bulk_labels(&self, keys: &[String], station: &str) -> Result<BulkLabels, String> {
        let Some(p) = self.printing.as_ref() else {
            return Err("no printers are configured".into());
        };
        let mut out = BulkLabels::default();
        let mut pdfs = Vec::new();
        for key in keys {
            let mut shipments = self.store.shipments(key).map_err(|e| e.to_string())?;
            shipments.sort_by_key(|s| s.parcel_no);
            let number = self
                .store
                .order(key)
                .ok()
                .flatten()
                .map_or_else(|| key.clone(), |o| o.number);
            let before = out.labels;
            for s in shipments
                .iter()
                .filter(|s| s.state == crate::domain::ShipmentState::Ready)
            {
                let Some(path) = self.label_source(key, s.parcel_no, s.label_path.as_deref())
                else {
                    continue;
                };
                let bytes = std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))?;
                match label_format(&bytes) {
                    Some(LabelFormat::Pdf) => pdfs.push(bytes),
                    Some(LabelFormat::Zpl) => {
                        let name = format!("{number}-{}.zpl", s.parcel_no);
                        out.jobs.push(self.label_job(&path, &name, key, station)?.0);
                    }
                    None => {
                        out.skipped
                            .push(format!("{number} parcel {}: not a label", s.parcel_no));
                        continue;
                    }
                }
                out.labels += 1;
            }
            if out.labels == before {
                out.skipped.push(format!("{number}: no label"));
            }
        }
        if !pdfs.is_empty() {
            let (_, printer) = p
                .printers
                .route(DocKind::Label, Format::Pdf, &p.out_dir)
                .map_err(|e| e.to_string())?;
            let (pdf, name) = if p.printers.label.size == LabelSize::A4Quarter {
                let _g = QUARTER.lock().unwrap_or_else(|e| e.into_inner());
                let q = crate::docs::next_free_quarter(&self.store, station).unwrap_or(1);
                let (pdf, n) = crate::docs::impose_a4x4(&pdfs, q).map_err(|e| e.to_string())?;
                crate::docs::set_next_free_quarter(&self.store, station, n)
                    .map_err(|e| e.to_string())?;
                out.quarter = Some(n);
                (pdf, format!("labels-{}-a4x4-q{q}.pdf", pdfs.len()))
            } else {
                let pdf = crate::docs::concat_roll(&pdfs).map_err(|e| e.to_string())?;
                (pdf, format!("labels-{}-roll.pdf", pdfs.len()))
            };
            out.jobs.insert(
                0,
                NewJob {
                    name,
                    kind: DocKind::Label,
                    format: Format::Pdf,
                    content: JobContent::Bytes(pdf),
                    printer,
                    key: None,
                },
            );
        }
        Ok(out)
    }
}
