package train

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/minidl/minidl/callbacks"
	"github.com/minidl/minidl/nn"
)

// FuzzLoadRunState loads arbitrary run checkpoints into a run of
// resumeRun's configuration: loading never panics; a refused checkpoint
// leaves every piece of the run as it was and says why in a short message;
// an accepted one is saved again and loads again.
func FuzzLoadRunState(f *testing.F) {
	dir := f.TempDir()
	for _, k := range []int{1, 3} {
		path := filepath.Join(dir, "seed.safetensors")
		os.Remove(path)
		interrupt(f, path, k)
		b, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(fuzzOne)
}

func fuzzOne(t *testing.T, b []byte) {
	{
		s, meta, err := nn.ReadSafetensors(b)
		if err != nil {
			return
		}
		model, cfg, _ := resumeRun("")
		cbs := append([]callbacks.Callback{&callbacks.History{}}, cfg.Callbacks...)
		cfg.Callbacks = cbs // fingerprint reads them all
		before := fingerprint(t, model, cfg)
		run := &callbacks.Run{}
		if _, err := fitCheckpoint(model, &cfg, cbs, run).load(s, meta); err != nil {
			if len(err.Error()) > 1000 {
				t.Errorf("an error of %d bytes", len(err.Error()))
			}
			if fingerprint(t, model, cfg) != before {
				t.Fatalf("refused (%.200v), the checkpoint changed the run", err)
			}
			return
		}
		s2, meta2, err := fitCheckpoint(model, &cfg, cbs, run).state(run.InitialEpoch)
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		if err := nn.WriteSafetensors(&buf, s2, meta2); err != nil {
			t.Fatal(err)
		}
		s3, meta3, err := nn.ReadSafetensors(buf.Bytes())
		if err != nil {
			t.Fatal(err)
		}
		model, cfg, _ = resumeRun("")
		cbs = append([]callbacks.Callback{&callbacks.History{}}, cfg.Callbacks...)
		if _, err := fitCheckpoint(model, &cfg, cbs, &callbacks.Run{}).load(s3, meta3); err != nil {
			t.Fatalf("an accepted checkpoint, saved again, is refused: %.300v", err)
		}
	}
}
