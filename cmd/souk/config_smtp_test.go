package main

import (
	"bytes"
	"io"
	"log/slog"
	"strings"
	"testing"
)

// SMTP_URL is optional (empty keeps e-mails in the outbox), validated at start-up, read from
// the environment like the other secrets, and never logged with its password.
func TestConfigSMTPURL(t *testing.T) {
	c, err := loadConfig("serve", nil, envMap(nil), io.Discard)
	if err != nil || c.SMTPURL != "" {
		t.Fatalf("default SMTP_URL %q (%v), want empty", c.SMTPURL, err)
	}

	c, err = loadConfig("serve", nil, envMap(map[string]string{"SMTP_URL": "smtp://souk:m4il-s3cret@mail.smap.example:587?from=salon@smap.example"}), io.Discard)
	if err != nil || c.SMTPURL == "" {
		t.Fatalf("valid SMTP_URL refused: %v", err)
	}
	var buf bytes.Buffer
	slog.New(slog.NewTextHandler(&buf, nil)).Info("starting souk", slog.Any("config", c))
	if line := buf.String(); strings.Contains(line, "m4il-s3cret") || !strings.Contains(line, "mail.smap.example:587") {
		t.Errorf("log line shows the SMTP password or hides the host:\n%s", line)
	}

	for _, bad := range []string{"http://mail.example", "smtp://mail.example:0", "smtp://u:zz-secret@mail.example?from=nobody"} {
		_, err := loadConfig("serve", nil, envMap(map[string]string{"SMTP_URL": bad}), io.Discard)
		if err == nil || !strings.Contains(err.Error(), "SMTP_URL") {
			t.Errorf("SMTP_URL %q: %v, want a configuration error naming SMTP_URL", bad, err)
		}
		if err != nil && strings.Contains(err.Error(), "zz-secret") {
			t.Errorf("the error repeats the password: %v", err)
		}
	}
	// The flag wins over the environment, and -h never shows the secret (no flag default).
	c, err = loadConfig("serve", []string{"-smtp-url", "smtps://mail.example"}, envMap(map[string]string{"SMTP_URL": "smtp://other.example"}), io.Discard)
	if err != nil || c.SMTPURL != "smtps://mail.example" {
		t.Errorf("flag: %q, %v", c.SMTPURL, err)
	}
}
