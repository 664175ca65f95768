package callbacks

import (
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/minidl/minidl/internal/quote"
)

// StopReason says why a run ended, in snake case: "patience", "gl", … A
// rule of your own (see Rule) may give a reason of its own, such as
// StopReason("plateau_of_f1").
type StopReason string

const (
	NotStopped     StopReason = ""                     // the run goes on
	StopPatience   StopReason = "patience"             // no improvement for Patience epochs
	StopBaseline   StopReason = "baseline"             // the baseline was not beaten within Patience epochs
	StopThreshold  StopReason = "stopping_threshold"   // the monitored value reached the stopping threshold
	StopDivergence StopReason = "divergence_threshold" // the monitored value crossed the divergence threshold
	StopNonFinite  StopReason = "non_finite"           // the monitored value (or a batch loss) was NaN or infinite
	StopGL         StopReason = "gl"                   // Prechelt's generalization-loss criterion GL_α
	StopPQ         StopReason = "pq"                   // Prechelt's quotient criterion PQ_α
	StopUP         StopReason = "up"                   // Prechelt's criterion UP_s: validation error rose in s successive strips
	StopNoise      StopReason = "noise"                // noise-aware patience: no improvement beyond the noise (NoiseAware)
	StopRemaining  StopReason = "remaining_budget"     // improving in the rest of the budget became unlikely (Remaining)
	StopLearned    StopReason = "learned"              // the learned rule judged that continuing would not pay (Learned)
	StopCancelled  StopReason = "cancelled"            // the context was cancelled
	StopMaxEpochs  StopReason = "max_epochs"           // every epoch ran
	StopCallback   StopReason = "callback"             // a callback other than the one asked stopped the run
	StopError      StopReason = "error"                // an observation could not be made (see EarlyStopping.Err), or the run failed
)

// String returns the reason, or "not_stopped" for NotStopped.
func (s StopReason) String() string {
	if s == NotStopped {
		return "not_stopped"
	}
	return string(s)
}

// MarshalText encodes the reason as String does, for JSON.
func (s StopReason) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// A stop reason and a stop message are saved with a run (EarlyStopping's
// state, a run checkpoint) and must load back, so both are bounded when
// they are given, by a Rule or to Run.Stop: a reason is at most
// MaxReasonLen lower-case letters, digits and underscores (anything else
// is a mistake in code, and panics with a *ConfigError), and a message
// longer than MaxMessageLen bytes is cut to that length, ending in "…"
// (bytes that are not UTF-8 become U+FFFD first, as JSON would make them).
const (
	MaxReasonLen  = 64
	MaxMessageLen = 4096
)

var reasonName = regexp.MustCompile(`^[a-z0-9_]*$`)

// Valid reports whether s is a reason a run can give: at most
// MaxReasonLen lower-case letters, digits and _.
func (s StopReason) Valid() bool {
	return len(s) <= MaxReasonLen && reasonName.MatchString(string(s))
}

// checkReason panics with a *ConfigError if r breaks the rule for reasons.
func checkReason(op string, r StopReason) {
	check(op, r.Valid(), "stop reason %s: want at most %d lower-case letters, digits and _", quote.Text(string(r)), MaxReasonLen)
}

// cutMessage returns msg as valid UTF-8 of at most MaxMessageLen bytes.
func cutMessage(msg string) string {
	msg = strings.ToValidUTF8(msg, "\uFFFD")
	if len(msg) <= MaxMessageLen {
		return msg
	}
	end := MaxMessageLen - len("…")
	for !utf8.RuneStart(msg[end]) {
		end--
	}
	return msg[:end] + "…"
}
