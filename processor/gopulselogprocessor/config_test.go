package gopulselogprocessor

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/confmap/confmaptest"

	"github.com/gopulse/gopulse/processor/gopulselogprocessor/internal/metadata"
)

func load(t *testing.T, name string) *Config {
	t.Helper()
	cm, err := confmaptest.LoadConf(filepath.Join("testdata", "config.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	sub, err := cm.Sub(component.MustNewIDWithName(metadata.Type.String(), name).String())
	if err != nil {
		t.Fatal(err)
	}
	cfg := NewFactory().CreateDefaultConfig().(*Config)
	if err := sub.Unmarshal(cfg); err != nil {
		t.Fatalf("unmarshal %s: %v", name, err)
	}
	return cfg
}

func TestConfig(t *testing.T) {
	def := NewFactory().CreateDefaultConfig()
	if err := componenttest.CheckConfigStruct(def); err != nil {
		t.Fatal(err)
	}
	if err := confmap.Validate(def); err != nil {
		t.Fatalf("default config invalid: %v", err)
	}
	if err := confmap.Validate(load(t, "")); err != nil {
		t.Fatal(err)
	}
	c := load(t, "custom")
	if err := confmap.Validate(c); err != nil {
		t.Fatal(err)
	}
	if len(c.StreamKeys) != 2 || c.MaxStreams != 100 || c.Format != "json" || c.Multiline.Wait != 250*time.Millisecond ||
		c.Multiline.MaxRecordBytes != 65536 || c.Templates.Enabled || c.SchemaDrift || c.AttributePrefix != "app." {
		t.Errorf("custom: %+v", c)
	}
	err := confmap.Validate(load(t, "invalid"))
	if err == nil {
		t.Fatal("invalid config accepted")
	}
	for _, want := range []string{"stream_keys[0] is empty", "max_streams must be positive", "format and pattern are exclusive",
		"unknown log format", "multiline.wait must be positive", "templates.max must not be negative"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
	typo := confmap.NewFromStringMap(map[string]any{"stream_key": []any{"x"}})
	if err := typo.Unmarshal(NewFactory().CreateDefaultConfig()); err == nil {
		t.Error("unknown key accepted")
	}
}
