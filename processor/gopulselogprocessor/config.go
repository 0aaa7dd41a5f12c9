package gopulselogprocessor

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/gopulse/gopulse/logengine"
)

// Config configures the gopulse log processor.
type Config struct {
	// StreamKeys are the resource or record attributes whose values name a
	// record's stream (a file, a container): every stream has its own format
	// detection, multi-line assembly and schema. The values of all the keys
	// present make the stream's name; records with none share one stream per
	// resource.
	StreamKeys []string `mapstructure:"stream_keys"`
	// MaxStreams bounds the streams kept; the least recently used one is
	// flushed and forgotten beyond it.
	MaxStreams int `mapstructure:"max_streams"`
	// Format pins every stream to one built-in format ("json", "combined",
	// …) and Pattern to a pattern of gopulse's pattern language; by default
	// each stream's format is detected.
	Format  string `mapstructure:"format"`
	Pattern string `mapstructure:"pattern"`
	// Multiline assembles stack traces and indented continuation lines into
	// one record.
	Multiline MultilineConfig `mapstructure:"multiline"`
	// Templates adds each record's template id and text.
	Templates TemplatesConfig `mapstructure:"templates"`
	// SchemaDrift infers each stream's schema and emits an event record for
	// every field added, removed or changing type.
	SchemaDrift bool `mapstructure:"schema_drift"`
	// AttributePrefix is put before the names of the parsed fields made
	// attributes (none by default); an attribute the record already has is
	// never overwritten.
	AttributePrefix string `mapstructure:"attribute_prefix"`

	// prevent unkeyed literal initialization
	_ struct{}
}

// MultilineConfig configures multi-line assembly.
type MultilineConfig struct {
	Enabled bool `mapstructure:"enabled"`
	// MaxRecordBytes caps an assembled record.
	MaxRecordBytes int `mapstructure:"max_record_bytes"`
	// Wait is how long a record waits for a continuation line before it
	// is sent on its own.
	Wait time.Duration `mapstructure:"wait"`
}

// TemplatesConfig configures template mining.
type TemplatesConfig struct {
	Enabled bool `mapstructure:"enabled"`
	// Max bounds the templates kept (the miner's default when 0).
	Max int `mapstructure:"max"`
}

// Validate reports every problem of the configuration at once.
func (cfg *Config) Validate() error {
	var errs []error
	if len(cfg.StreamKeys) == 0 {
		errs = append(errs, errors.New("stream_keys must name at least one attribute"))
	}
	for i, k := range cfg.StreamKeys {
		if strings.TrimSpace(k) == "" {
			errs = append(errs, fmt.Errorf("stream_keys[%d] is empty", i))
		}
	}
	if cfg.MaxStreams <= 0 {
		errs = append(errs, fmt.Errorf("max_streams must be positive, got %d", cfg.MaxStreams))
	}
	if cfg.Format != "" && cfg.Pattern != "" {
		errs = append(errs, errors.New("format and pattern are exclusive"))
	}
	if cfg.Format != "" {
		if _, err := logengine.New(logengine.Config{Format: cfg.Format}); err != nil {
			errs = append(errs, err)
		}
	}
	if cfg.Pattern != "" {
		if _, err := logengine.New(logengine.Config{Pattern: cfg.Pattern}); err != nil {
			errs = append(errs, err)
		}
	}
	if cfg.Multiline.MaxRecordBytes < 0 {
		errs = append(errs, fmt.Errorf("multiline.max_record_bytes must not be negative, got %d", cfg.Multiline.MaxRecordBytes))
	}
	if cfg.Multiline.Enabled && cfg.Multiline.Wait <= 0 {
		errs = append(errs, fmt.Errorf("multiline.wait must be positive, got %s", cfg.Multiline.Wait))
	}
	if cfg.Templates.Max < 0 {
		errs = append(errs, fmt.Errorf("templates.max must not be negative, got %d", cfg.Templates.Max))
	}
	return errors.Join(errs...)
}
