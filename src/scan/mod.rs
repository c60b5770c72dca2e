//! The scan assembler: keystrokes → scans (owned by the scan work; placeholder until it lands).
