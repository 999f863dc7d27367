package diagnosis

// CauseChecking is the monitor's state before its first check finishes (code -1). It is not a
// diagnosis, so it is not among the causes of Classify.
const CauseChecking Cause = "checking"

// CauseInternalError is a check that failed inside spotwatch: its own process or machine ran
// out of file descriptors, memory or socket buffers (failure local_resource_exhausted), so the
// probes measured nothing about the network. Like CauseChecking it is not a diagnosis (code -1):
// the monitor counts it as an internal error and keeps its state.
const CauseInternalError Cause = "internal_error"
