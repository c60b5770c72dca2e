//! The packdesk binary: command line → logging → config → the chosen command.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use clap::{Args, Parser, Subcommand};

use packdesk::app::{Action, AppState, Msg, Settings};
use packdesk::config::{Config, Paths, build_remote};
use packdesk::demo::pipeline::DemoShop;
use packdesk::docs::SheetEntry;
use packdesk::domain::OrderState;
use packdesk::effects::{Pipeline, Runner, dispatch};
use packdesk::i18n::{Catalog, Lang};
use packdesk::outbox::{Outbox, Worker};
use packdesk::scan::Assembler;
use packdesk::shop::NoShop;
use packdesk::store::Store;
use packdesk::sync::SyncWorker;
use packdesk::tui::keymap::Keymap;
use packdesk::tui::theme::Theme;
use packdesk::tui::{self, Ui};

/// packdesk: the packing bench for e-commerce warehouses.
#[derive(Parser, Debug)]
#[command(version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    dirs: Dirs,
}

#[derive(Args, Debug, Clone, Default)]
struct Dirs {
    /// The station configuration file (default: station.toml in the XDG config dir).
    #[arg(long, global = true, value_name = "FILE")]
    config: Option<PathBuf>,
    /// The data directory holding the store (default: the XDG data dir).
    #[arg(long, global = true, value_name = "DIR")]
    data_dir: Option<PathBuf>,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run the bench on a configured station (the default command).
    Run,
    /// Run the bench on deterministic demo data.
    Demo(DemoArgs),
    /// List or show orders in the store.
    #[command(subcommand)]
    Orders(OrdersCmd),
    /// Print barcode sheets as PDF.
    #[command(subcommand)]
    Sheet(SheetCmd),
    /// Run the Upgates, BaseLinker and Balikobot simulators on loopback until Ctrl+C.
    Sim(packdesk::sim::cli::SimArgs),
    /// Check the config, secrets, shop and carrier credentials, statuses and services.
    Doctor,
    /// Find, show and change orders in the configured shop.
    #[command(subcommand)]
    Order(packdesk::shop::lookup::OrderCmd),
    /// List, export (evidence for a dispute) or prune the parcel photos.
    #[command(subcommand)]
    Photos(packdesk::camera::cli::PhotosCmd),
    /// Documents from the store as PDF: packing slips, carrier labels 4-up or on a roll.
    #[command(subcommand)]
    Doc(packdesk::docs::DocCmd),
    /// Check, test and inspect the automatic rules.
    #[command(subcommand)]
    Rules(packdesk::rules::RulesCmd),
    /// Hand over a carrier's ready parcels (ORDER), print the protocol, mark them dispatched.
    Handover(packdesk::effects::handover_cli::HandoverArgs),
}

#[derive(Args, Debug)]
struct DemoArgs {
    /// Which shop to simulate: upgates (with Balikobot carriers), baselinker (orders and
    /// couriers), or none (the store only, packdesk's own labels).
    #[arg(long, value_enum, default_value = "upgates")]
    shop: DemoShop,
    /// Where labels are written.
    #[arg(long, value_name = "DIR", default_value = "./packdesk-out")]
    out: PathBuf,
    /// How many demo orders to generate (only when the store is new).
    #[arg(long, default_value_t = 40)]
    orders: usize,
    /// Seed of the demo data (same seed → same orders).
    #[arg(long, default_value_t = 2026)]
    seed: u64,
}

#[derive(Subcommand, Debug)]
enum OrdersCmd {
    /// List orders, optionally of one state.
    List {
        /// to_pack, in_progress, packed, ready, dispatched, exception, cancelled
        #[arg(long)]
        state: Option<String>,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Show one order with its lines and parcels.
    Show {
        /// The order number.
        number: String,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand, Debug)]
enum SheetCmd {
    /// The command barcodes (PD:PACK, PD:SHIP …) as Code128.
    Commands {
        #[arg(long, value_name = "FILE.pdf")]
        out: PathBuf,
    },
    /// A scanner self-test sheet: digits, letters, symbols, EAN-13 and GS1.
    ScannerTest {
        #[arg(long, value_name = "FILE.pdf")]
        out: PathBuf,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match real_main(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tui::restore();
            eprintln!("packdesk: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// One malloc arena: the bench's threads allocate little, and with glibc's default of one
/// arena per thread the memory freed after loading 100 000 queue rows on a background
/// thread stayed resident (124 MB against 109 MB measured with 100 000 orders).
fn limit_malloc_arenas() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only changes a malloc tuning parameter; called before any thread
    // is started.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 1);
    }
}

fn real_main(cli: Cli) -> Result<()> {
    limit_malloc_arenas();
    // rustls needs one crypto provider for the whole process (ring: no C toolchain needs).
    let _ = rustls::crypto::ring::default_provider().install_default();
    match cli.command.unwrap_or(Command::Run) {
        Command::Run => {
            let paths = Paths::resolve(cli.dirs.config.as_deref(), cli.dirs.data_dir.as_deref())?;
            let config = paths.load_config()?;
            let _log = init_logging(&paths.state_dir)?;
            bench(&paths, config, None)
        }
        Command::Demo(args) => {
            let temp;
            let data_dir = match &cli.dirs.data_dir {
                Some(d) => d.clone(),
                None => {
                    temp = std::env::temp_dir().join(format!(
                        "packdesk-demo-{}",
                        chrono::Utc::now().format("%Y%m%d-%H%M%S")
                    ));
                    eprintln!(
                        "packdesk demo: using the fresh data directory {}",
                        temp.display()
                    );
                    temp
                }
            };
            let paths = Paths::resolve(cli.dirs.config.as_deref(), Some(&data_dir))?;
            let mut config = if cli.dirs.config.is_some() {
                paths.load_config()?
            } else {
                Config::default()
            };
            config.ship_on_pack = true;
            config.out_dir = args.out.clone();
            // The demo rules print labels: to a directory printer unless printers are set.
            if config.printers.is_none() {
                config.printers = Some(packdesk::print::PrintersSection {
                    label: packdesk::print::PrinterSection {
                        kind: packdesk::print::PrinterKind::Dir,
                        dir: Some(args.out.join("printer")),
                        ..Default::default()
                    },
                    ..Default::default()
                });
            }
            if config.station == Config::default().station {
                config.station = "demo-bench".into();
            }
            let _log = init_logging(&paths.state_dir)?;
            bench(&paths, config, Some(&args))
        }
        Command::Orders(cmd) => {
            let paths = Paths::resolve(cli.dirs.config.as_deref(), cli.dirs.data_dir.as_deref())?;
            let store = Store::open(&paths.data_dir)?;
            orders(&store, cmd)
        }
        Command::Sheet(cmd) => sheet(cmd, &cli.dirs),
        Command::Sim(args) => packdesk::sim::cli::run(&args, &mut std::io::stdout()),
        Command::Handover(args) => packdesk::effects::handover_cli::cli(
            &Paths::resolve(cli.dirs.config.as_deref(), cli.dirs.data_dir.as_deref())?,
            &args,
            &mut std::io::stdout(),
        ),
        Command::Doctor => packdesk::doctor::cli(
            &Paths::resolve(cli.dirs.config.as_deref(), cli.dirs.data_dir.as_deref())?,
            &mut std::io::stdout(),
        ),
        Command::Order(cmd) => packdesk::shop::lookup::cli(
            &Paths::resolve(cli.dirs.config.as_deref(), cli.dirs.data_dir.as_deref())?,
            cmd,
            &mut std::io::stdout(),
        ),
        Command::Photos(cmd) => {
            let paths = Paths::resolve(cli.dirs.config.as_deref(), cli.dirs.data_dir.as_deref())?;
            print!(
                "{}",
                packdesk::camera::cli::run(&Store::open(&paths.data_dir)?, cmd)?
            );
            Ok(())
        }
        Command::Doc(cmd) => {
            let paths = Paths::resolve(cli.dirs.config.as_deref(), cli.dirs.data_dir.as_deref())?;
            let config = paths.load_config()?;
            let store = Store::open(&paths.data_dir)?;
            let done = packdesk::docs::run_doc(cmd, &store, &config.station)?;
            eprintln!("packdesk: {done}");
            Ok(())
        }
        Command::Rules(cmd) => {
            let paths = Paths::resolve(cli.dirs.config.as_deref(), cli.dirs.data_dir.as_deref())?;
            packdesk::rules::run_cli(cmd, &paths, &mut std::io::stdout().lock())
        }
    }
}

/// Logs go to a file, never to the terminal the bench draws on.
fn init_logging(dir: &Path) -> Result<tracing_appender::non_blocking::WorkerGuard> {
    std::fs::create_dir_all(dir)
        .with_context(|| format!("cannot create the log directory {}", dir.display()))?;
    let appender = tracing_appender::rolling::daily(dir, "packdesk.log");
    let (writer, guard) = tracing_appender::non_blocking(appender);
    let filter = tracing_subscriber::EnvFilter::try_from_env("PACKDESK_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_writer(writer)
        .with_ansi(false)
        .with_env_filter(filter)
        .try_init();
    Ok(guard)
}

fn settings(config: &Config) -> Settings {
    Settings {
        station: config.station.clone(),
        bell: config.bell,
        ship_on_pack: config.ship_on_pack,
        require_weight: config.packing.require_weight,
        allow_manual_confirm: config.packing.allow_manual_confirm,
        default_weight_kg: config.packing.default_weight_kg,
        photo_required: config.camera.policy == packdesk::camera::config::PhotoPolicy::Required,
    }
}

fn bench(paths: &Paths, mut config: Config, demo: Option<&DemoArgs>) -> Result<()> {
    let start = Instant::now();
    let store = Store::open(&paths.data_dir)?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let _enter = rt.enter();
    // The demo: deterministic orders, and (unless `--shop none`) the shop and carrier
    // simulators in-process, so the whole real pipeline runs: sync, outbox, clients.
    let mut _sims = None;
    let mut sync_every = Duration::from_secs(60);
    if let Some(d) = demo {
        let fresh = store.is_empty();
        if fresh {
            eprintln!("packdesk demo: generating {} demo orders…", d.orders);
        }
        if d.shop == DemoShop::None {
            // A reused store is left as it is: nothing to generate.
            if fresh {
                store.import_orders(&packdesk::demo::generate(
                    d.seed,
                    d.orders,
                    chrono::Utc::now(),
                ))?;
            }
        } else {
            // The simulated shop starts empty every run: it gets the same orders again.
            let orders = packdesk::demo::generate(d.seed, d.orders, chrono::Utc::now());
            let mut sims = rt.block_on(packdesk::demo::pipeline::start(d.shop, &orders, d.seed))?;
            // A simulated IP camera serves the parcel photos (PD:PHOTO / Ctrl+O).
            let camera = packdesk::sim::camera::CameraSim::new(
                packdesk::sim::camera::SimAuth::None,
                packdesk::sim::Faults::default(),
                d.seed,
            );
            let cam = rt.block_on(camera.start(0))?;
            config.camera.kind = packdesk::camera::config::CameraKind::Http;
            config.camera.url = Some(format!("{}/snapshot.jpg", cam.base_url));
            sims.running.push(cam);
            config.shop = sims.shop.clone();
            config.carrier = sims.carrier.clone();
            config.status = sims.status.clone();
            _sims = Some(sims);
            sync_every = Duration::from_secs(10);
        }
        if !fresh {
            tracing::info!(dir = %paths.data_dir.display(), "reusing the demo store as it is");
        }
    }
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let remote = build_remote(&config, store.clone(), &config.out_dir)?;
    let outbox = Outbox::open(&store)?;
    let pipeline = Pipeline::for_station(outbox.clone(), store.clone(), &config, &remote);
    // Printing: every new label (and every reprint) goes through the durable print queue.
    let pipeline = match &config.printers {
        Some(printers) => {
            let queue = packdesk::print::PrintQueue::open(&store, Default::default())?;
            let worker_queue = queue.clone();
            let tx = tx.clone();
            rt.spawn(async move {
                let res = worker_queue
                    .run(move |ev| {
                        if let Some(note) = packdesk::effects::print_note(&ev) {
                            let _ = tx.send(Msg::Print(note));
                        }
                    })
                    .await;
                if let Err(e) = res {
                    tracing::error!(error = %e, "the print queue stopped");
                }
            });
            pipeline.with_printing(packdesk::effects::Printing {
                queue,
                printers: printers.clone(),
                out_dir: config.out_dir.clone(),
            })
        }
        None => pipeline,
    };
    // Rules (automatic actions): a broken rules file stops the bench here, naming its line.
    // The demo rules set the demo shop's own "sent" status (its `ready` mapping).
    let demo_sent = demo.filter(|d| d.shop != DemoShop::None).map(|_| {
        config
            .status
            .as_ref()
            .and_then(|s| s.ready.clone())
            .unwrap_or_default()
    });
    let rules = packdesk::effects::rules::BenchRules::prepare(
        &paths.config_dir,
        config.rules_file.as_deref(),
        demo_sent.as_deref(),
        &store,
    )?;
    let pipeline = pipeline.with_rules(rules.engine.clone());
    if let Some(shop) = &remote.shop {
        let sync = SyncWorker::new(shop.clone(), store.clone(), tx.clone(), sync_every)
            .with_mapping(packdesk::sync::mapping::ImportMapping::from_config(&config))
            .with_rules(rules.engine.clone());
        if store.is_empty() {
            // A new station gets its queue before the first frame.
            let status = rt.block_on(sync.sync_once());
            if let Some(e) = &status.error {
                eprintln!("packdesk: the first sync with the shop failed: {e}");
            }
        }
        rt.spawn(sync.run());
    }
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let on_event = {
        let (pipeline, tx) = (pipeline.clone(), tx.clone());
        move |ev| {
            for m in pipeline.on_event(&ev) {
                let _ = tx.send(m);
            }
        }
    };
    let shop_for_worker: Arc<dyn packdesk::shop::Shop> =
        remote.shop.clone().unwrap_or_else(|| Arc::new(NoShop));
    let batching = packdesk::outbox::batching::Batching::for_shop(
        shop_for_worker.orders_per_update_request(),
        config.status.as_ref(),
    );
    let worker = Worker::new(outbox, shop_for_worker, remote.carrier.clone(), on_event)
        .with_batching(batching);
    let worker = rt.spawn(worker.run(stopped));
    // TRACKSTATUS polling of ready and dispatched parcels (`carrier.track_every_min`).
    let track_every = config.carrier.as_ref().map_or(0, |c| c.track_every_min);
    let _tracking = pipeline.spawn_tracking(
        remote.carrier.clone(),
        Duration::from_secs(track_every * 60),
        tx.clone(),
    );
    let lang = Lang::detect(
        config.language.as_deref(),
        std::env::var("LANG").ok().as_deref(),
    );
    let no_color = Theme::no_color(std::env::var_os("NO_COLOR").as_deref());
    let ui = Ui {
        theme: Theme::load(&config.theme, Some(&paths.config_dir), no_color)?,
        keymap: Keymap::load(&config.keymap, Some(&paths.config_dir.join("keymap.toml")))?,
        catalog: Catalog::new(lang),
    };
    let scan = config.scanner.clone();
    // The first frame comes at once; the queue (100 000 rows on a big shop) is loaded and
    // sorted in the background and arrives as a message. Scanning an order number works
    // meanwhile: it is looked up in the store's index, not in the queue.
    let mut state = AppState::new(settings(&config), Assembler::new(scan), Vec::new());
    state.queue_loading = Some(Vec::new());
    let loader = (store.clone(), tx.clone());
    rt.spawn_blocking(move || {
        let (store, tx) = loader;
        match packdesk::app::queue::load(&store) {
            Ok(queue) => {
                let _ = tx.send(Msg::QueueLoaded(Box::new(queue)));
            }
            Err(e) => tracing::error!(error = %e, "the queue could not be loaded"),
        }
    });
    let rules_tx = tx.clone();
    let mut runner = Runner::new(store.clone(), pipeline.clone(), tx).with_docs(&config.docs);
    if let Some(shop) = &remote.shop {
        runner = runner.with_shop(shop.clone());
    }
    let camera = config.camera.build(|k| std::env::var(k).ok())?;
    if let Some(camera) = camera.clone() {
        runner = runner.with_camera(camera, &config.station);
    }
    state.rules = rules.state.clone();
    runner = runner.with_rules(rules.engine.clone());
    let pick_pack = remote.shop.as_ref().is_some_and(|s| s.supports_pick_pack());
    rules.start(
        pipeline.clone(),
        &config.station,
        rules_tx,
        camera,
        pick_pack,
        config.camera.retention_days,
    )?;
    state.packer = store.packer()?;
    for m in pipeline.catch_up() {
        dispatch(&mut state, &runner, m, start);
    }
    // Where the next label goes on a 4-up sheet, for the status bar.
    let station = packdesk::app::print::PrintFx::Status {
        station: state.settings.station.clone(),
    };
    for m in runner.run(packdesk::app::Effect::Print(station)) {
        dispatch(&mut state, &runner, m, start);
    }
    // The queue marks of the last run come back (those of orders gone meanwhile drop).
    let marks = packdesk::app::print::PrintFx::LoadMarks;
    for m in runner.run(packdesk::app::Effect::Print(marks)) {
        dispatch(&mut state, &runner, m, start);
    }
    // Resume where the bench was: the open order comes back on screen.
    if let Some(key) = store.open_order()? {
        for m in runner.run(packdesk::app::Effect::LoadOrder { key, via: None }) {
            dispatch(&mut state, &runner, m, start);
        }
    }
    let mut guard = tui::TerminalGuard::enter()?;
    let res = rt.block_on(tui::run(
        &mut guard.terminal,
        &mut state,
        &ui,
        &runner,
        &mut rx,
        start,
    ));
    drop(guard);
    // Let the outbox worker finish what it is doing (it reconciles the rest next time).
    let _ = stop.send(true);
    let _ = rt.block_on(async { tokio::time::timeout(Duration::from_secs(6), worker).await });
    store.flush()?;
    res?;
    Ok(())
}

fn parse_state(s: &str) -> Result<OrderState> {
    OrderState::parse(s).with_context(|| {
        let all: Vec<&str> = OrderState::ALL.iter().map(|s| s.as_str()).collect();
        format!("unknown state `{s}`; use one of {}", all.join(", "))
    })
}

fn orders(store: &Store, cmd: OrdersCmd) -> Result<()> {
    match cmd {
        OrdersCmd::List { state, json } => {
            let filter = state.as_deref().map(parse_state).transpose()?;
            let (mut rows, _) = store.summaries()?;
            rows.retain(|r| filter.is_none_or(|f| r.state == f));
            rows.sort_by(|a, b| a.number.cmp(&b.number));
            if json {
                let list: Vec<_> = rows
                    .iter()
                    .map(|r| {
                        serde_json::json!({
                            "number": r.number, "state": r.state, "carrier": r.carrier,
                            "service": r.service, "items": r.items, "cod": r.cod.as_ref().map(|m| m.as_decimal()),
                            "currency": r.cod.as_ref().map(|m| m.currency.clone()), "country": r.country,
                            "created_at": r.created_at,
                        })
                    })
                    .collect();
                println!("{}", serde_json::to_string_pretty(&list)?);
            } else {
                for r in rows {
                    println!(
                        "{:<12} {:<12} {:<14} {:>5}  {}",
                        r.number,
                        r.state.as_str(),
                        format!("{}/{}", r.carrier, r.service),
                        r.items.to_string(),
                        packdesk::domain::text::sanitize(&r.customer)
                    );
                }
            }
            Ok(())
        }
        OrdersCmd::Show { number, json } => {
            let Some(key) = store.find_order_key(&number)? else {
                bail!("no order {number} in {}", store.dir().display());
            };
            let Some(order) = store.order(&key)? else {
                bail!(
                    "order {number} is indexed but missing in {}",
                    store.dir().display()
                );
            };
            let session = store.session(&key)?;
            let shipments = store.shipments(&key)?;
            let state = store.summary(&key)?.map_or(OrderState::ToPack, |r| r.state);
            let v = packdesk::app::report::order_json(&order, state, session.as_ref(), &shipments);
            if json {
                println!("{}", serde_json::to_string_pretty(&v)?);
            } else {
                print!(
                    "{}",
                    packdesk::app::report::order_text(&order, state, session.as_ref(), &shipments)
                );
            }
            Ok(())
        }
    }
}

fn cat(lang: Lang) -> Catalog {
    Catalog::new(lang)
}

fn sheet(cmd: SheetCmd, dirs: &Dirs) -> Result<()> {
    let (pdf, out) = match cmd {
        SheetCmd::Commands { out } => {
            let mut entries: Vec<SheetEntry> = Action::ALL
                .iter()
                .filter_map(|a| {
                    a.barcode().map(|word| SheetEntry {
                        code: format!("PD:{word}"),
                        caption: format!(
                            "{} / {} / {}",
                            cat(Lang::En).action(*a),
                            cat(Lang::Cs).action(*a),
                            cat(Lang::Pl).action(*a)
                        ),
                    })
                })
                .collect();
            entries.push(SheetEntry {
                code: "PD:PACKER:1".into(),
                caption: "Packer 1 / Balič 1 / Pakowacz 1".into(),
            });
            entries.extend(packdesk::docs::command_sheet::station_handover_entries(
                dirs.config.as_deref(),
                dirs.data_dir.as_deref(),
            ));
            (
                packdesk::docs::barcode_sheet_pdf("packdesk command barcodes", &entries)?,
                out,
            )
        }
        SheetCmd::ScannerTest { out } => (packdesk::docs::scanner_test_sheet_pdf()?, out),
    };
    std::fs::write(&out, pdf).with_context(|| format!("cannot write {}", out.display()))?;
    eprintln!("packdesk: wrote {}", out.display());
    Ok(())
}
