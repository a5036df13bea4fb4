package handlers

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"net/textproto"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/soukexpo/souk/models"
	"github.com/soukexpo/souk/models/dbtest"
)

// fakeSMTP is a tiny SMTP peer: it speaks just enough of the protocol for net/smtp, keeps
// what it receives, and refuses one recipient with a permanent error.
type fakeSMTP struct {
	addr       string
	rejectRcpt string
	mu         sync.Mutex
	auths      []string
	mails      []fakeMail
}

type fakeMail struct {
	From, To string
	Data     []byte
}

func startFakeSMTP(t *testing.T) *fakeSMTP {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &fakeSMTP{addr: ln.Addr().String()}
	t.Cleanup(func() { _ = ln.Close() })
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			go s.serve(conn)
		}
	}()
	return s
}

func (s *fakeSMTP) serve(conn net.Conn) {
	defer func() { _ = conn.Close() }()
	_ = conn.SetDeadline(time.Now().Add(30 * time.Second))
	tp := textproto.NewConn(conn)
	_ = tp.PrintfLine("220 fake.test ESMTP")
	var cur fakeMail
	for {
		line, err := tp.ReadLine()
		if err != nil {
			return
		}
		verb, arg, _ := strings.Cut(line, " ")
		switch strings.ToUpper(verb) {
		case "EHLO", "HELO":
			_ = tp.PrintfLine("250-fake.test")
			_ = tp.PrintfLine("250 AUTH PLAIN")
		case "AUTH":
			_, b64, _ := strings.Cut(arg, " ")
			raw, _ := base64.StdEncoding.DecodeString(b64)
			s.mu.Lock()
			s.auths = append(s.auths, string(raw))
			s.mu.Unlock()
			_ = tp.PrintfLine("235 2.7.0 accepted")
		case "MAIL":
			cur = fakeMail{From: strings.Trim(strings.TrimPrefix(arg, "FROM:"), "<>")}
			_ = tp.PrintfLine("250 2.1.0 ok")
		case "RCPT":
			to := strings.Trim(strings.TrimPrefix(arg, "TO:"), "<>")
			if to == s.rejectRcpt {
				_ = tp.PrintfLine("550 5.1.1 no such mailbox")
				continue
			}
			cur.To = to
			_ = tp.PrintfLine("250 2.1.5 ok")
		case "DATA":
			_ = tp.PrintfLine("354 go ahead")
			data, err := tp.ReadDotBytes()
			if err != nil {
				return
			}
			cur.Data = data
			s.mu.Lock()
			s.mails = append(s.mails, cur)
			s.mu.Unlock()
			_ = tp.PrintfLine("250 2.0.0 queued")
		case "RSET", "NOOP":
			_ = tp.PrintfLine("250 ok")
		case "QUIT":
			_ = tp.PrintfLine("221 bye")
			return
		default:
			_ = tp.PrintfLine("502 not implemented")
		}
	}
}

func (s *fakeSMTP) received() []fakeMail {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]fakeMail(nil), s.mails...)
}

// enqueue writes a notice to the outbox as a decision would.
func enqueue(t *testing.T, a *testApp, to, locale, kind string, params map[string]string) models.OutboxEmail {
	t.Helper()
	if err := models.EnqueueNotice(context.Background(), a.db, to, locale, kind, params); err != nil {
		t.Fatal(err)
	}
	var m models.OutboxEmail
	if err := a.db.Order("id DESC").Take(&m).Error; err != nil {
		t.Fatal(err)
	}
	return m
}

func reloadMail(t *testing.T, a *testApp, id int64) models.OutboxEmail {
	t.Helper()
	var m models.OutboxEmail
	if err := a.db.Where("id = ?", id).Take(&m).Error; err != nil {
		t.Fatal(err)
	}
	return m
}

// decodeMail reads a received message: headers and the decoded text body.
func decodeMail(t *testing.T, data []byte) (mail.Header, string) {
	t.Helper()
	msg, err := mail.ReadMessage(strings.NewReader(string(data)))
	if err != nil {
		t.Fatalf("read message: %v\n%s", err, data)
	}
	body, err := io.ReadAll(quotedprintable.NewReader(msg.Body))
	if err != nil {
		t.Fatalf("decode body: %v", err)
	}
	return msg.Header, string(body)
}

func TestDeliverOutboxOverSMTP(t *testing.T) {
	smtpd := startFakeSMTP(t)
	a := newTestApp(t, nil, Config{BaseURL: "https://souk.example", SMTPURL: "smtp://souk:s3cret@" + smtpd.addr + "?from=salon@smap.example"})
	ar := enqueue(t, a, "nisaj@example.ma", "ar", models.NoticeApplicationWaitlist,
		map[string]string{"artisan": "تعاونية النسيج", "fair": "Salon de Bruxelles", "note": "القاعة ممتلئة", "position": "2"})
	fr := enqueue(t, a, "bennani@example.ma", "fr", models.NoticeStandAssigned,
		map[string]string{"artisan": "Atelier Bennani", "fair": "Salon de Bruxelles", "stand": "B12", "fee_state": "fee_due", "fee_cents": "45000"})

	n, err := a.h.DeliverOutbox(context.Background())
	if err != nil || n != 2 {
		t.Fatalf("DeliverOutbox = %d, %v; want 2 sent", n, err)
	}
	got := smtpd.received()
	if len(got) != 2 {
		t.Fatalf("the server received %d messages, want 2", len(got))
	}
	if got[0].From != "salon@smap.example" || got[0].To != "nisaj@example.ma" {
		t.Errorf("envelope %s → %s", got[0].From, got[0].To)
	}
	if len(smtpd.auths) == 0 || smtpd.auths[0] != "\x00souk\x00s3cret" {
		t.Errorf("AUTH PLAIN %q, want the user and password of SMTP_URL", smtpd.auths)
	}
	hdr, body := decodeMail(t, got[0].Data)
	subject, err := new(mime.WordDecoder).DecodeHeader(hdr.Get("Subject"))
	wantSubject, wantBody := a.h.renderNotice(context.Background(), ar)
	if err != nil || subject != wantSubject {
		t.Errorf("subject %q (%v), want %q", subject, err, wantSubject)
	}
	if !strings.Contains(body, "مرحبًا تعاونية النسيج،") || !strings.Contains(body, "القاعة ممتلئة") {
		t.Errorf("the Arabic body did not survive: %q", body)
	}
	if hdr.Get("Content-Language") != "ar" || !strings.HasPrefix(hdr.Get("Content-Type"), "text/plain; charset=UTF-8") {
		t.Errorf("headers %v", hdr)
	}
	_, frBody := decodeMail(t, got[1].Data)
	if !strings.Contains(frBody, "Le stand B12 vous est attribué") || !strings.Contains(frBody, "450,00") {
		t.Errorf("French body: %q", frBody)
	}
	stored := reloadMail(t, a, ar.ID)
	if stored.SentAt == nil || stored.Subject != wantSubject || stored.Body != wantBody || stored.Attempts != 1 {
		t.Errorf("outbox row after sending: %+v", stored)
	}
	if reloadMail(t, a, fr.ID).SentAt == nil {
		t.Error("second e-mail not marked sent")
	}
	// A second run sends nothing again.
	if n, err := a.h.DeliverOutbox(context.Background()); err != nil || n != 0 || len(smtpd.received()) != 2 {
		t.Errorf("second run: %d, %v, %d messages; want nothing new", n, err, len(smtpd.received()))
	}
}

func TestDeliverOutboxRecordsFailures(t *testing.T) {
	t.Run("recipient refused: the others still go", func(t *testing.T) {
		smtpd := startFakeSMTP(t)
		smtpd.rejectRcpt = "gone@example.ma"
		a := newTestApp(t, nil, Config{BaseURL: "http://example.com", SMTPURL: "smtp://" + smtpd.addr})
		bad := enqueue(t, a, "gone@example.ma", "fr", models.NoticeFeePaid, map[string]string{"fair": "Salon", "artisan": "A"})
		good := enqueue(t, a, "here@example.ma", "en", models.NoticeFeePaid, map[string]string{"fair": "Salon", "artisan": "B"})
		n, err := a.h.DeliverOutbox(context.Background())
		if err != nil || n != 1 {
			t.Fatalf("DeliverOutbox = %d, %v; want 1 sent, no error", n, err)
		}
		if m := reloadMail(t, a, bad.ID); m.SentAt != nil || m.Attempts != 1 || !strings.Contains(m.LastError, "550") {
			t.Errorf("refused e-mail: sent %v attempts %d error %q", m.SentAt, m.Attempts, m.LastError)
		}
		if m := reloadMail(t, a, good.ID); m.SentAt == nil {
			t.Error("the e-mail after the refused one was not sent")
		}
		a.mkUser("org-outbox@example.be", models.RoleOrganizer)
		c := a.client()
		c.login("org-outbox@example.be", testPassword)
		_, page := c.get("/admin/outbox")
		failed := a.h.tr.localize("fr", "OutboxFailed", 1, nil)
		if !strings.Contains(pageText(page), failed) || !strings.Contains(pageText(page), "550") {
			t.Errorf("the outbox page does not show the failure %q", failed)
		}
	})
	t.Run("server down: the batch waits", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		_ = ln.Close() // nothing listens there any more
		a := newTestApp(t, nil, Config{BaseURL: "http://example.com", SMTPURL: "smtp://" + addr})
		first := enqueue(t, a, "a@example.ma", "fr", models.NoticeFeePaid, map[string]string{"fair": "Salon"})
		second := enqueue(t, a, "b@example.ma", "fr", models.NoticeFeePaid, map[string]string{"fair": "Salon"})
		n, err := a.h.DeliverOutbox(context.Background())
		if n != 0 || !errors.Is(err, models.ErrMailServerDown) {
			t.Fatalf("DeliverOutbox = %d, %v; want 0 and ErrMailServerDown", n, err)
		}
		if m := reloadMail(t, a, first.ID); m.Attempts != 1 || m.SentAt != nil || m.LastError == "" {
			t.Errorf("first e-mail: %+v, want one failed attempt", m)
		}
		if m := reloadMail(t, a, second.ID); m.Attempts != 0 {
			t.Errorf("second e-mail tried %d times while the server is down, want 0", m.Attempts)
		}
	})
	t.Run("no SMTP: the e-mails stay in the outbox", func(t *testing.T) {
		a := newTestApp(t, nil)
		m := enqueue(t, a, "a@example.ma", "fr", models.NoticeFeePaid, map[string]string{"fair": "Salon"})
		if n, err := a.h.DeliverOutbox(context.Background()); n != 0 || err != nil {
			t.Fatalf("DeliverOutbox without SMTP = %d, %v", n, err)
		}
		if got := reloadMail(t, a, m.ID); got.SentAt != nil || got.Attempts != 0 {
			t.Errorf("without SMTP the e-mail changed: %+v", got)
		}
	})
}

func TestDeliverOutboxOnceAcrossInstancesOnPostgres(t *testing.T) {
	db := dbtest.Postgres(t)
	smtpd := startFakeSMTP(t)
	cfg := Config{BaseURL: "http://example.com", SMTPURL: "smtp://" + smtpd.addr}
	one, two := newTestApp(t, db, cfg), newTestApp(t, db, cfg)
	const mails = 12
	for i := range mails {
		enqueue(t, one, "artisan"+string(rune('a'+i))+"@example.ma", "fr", models.NoticeFeePaid, map[string]string{"fair": "Salon"})
	}
	var wg sync.WaitGroup
	counts := make([]int, 4)
	for i := range counts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			h := one.h
			if i%2 == 1 {
				h = two.h
			}
			n, err := h.DeliverOutbox(context.Background())
			if err != nil {
				t.Errorf("instance %d: %v", i, err)
			}
			counts[i] = n
		}()
	}
	wg.Wait()
	total := 0
	for _, n := range counts {
		total += n
	}
	if total != mails || len(smtpd.received()) != mails {
		t.Errorf("sent %d (server got %d), want each of the %d e-mails exactly once", total, len(smtpd.received()), mails)
	}
}

var noticeConst = regexp.MustCompile(`(?m)^\s+Notice[A-Za-z]+\s+= "([a-z_]+)"`)

func TestRenderNoticeEveryKindInEveryLanguage(t *testing.T) {
	a := newTestApp(t, nil, Config{BaseURL: "https://souk.example"})
	src, err := os.ReadFile("../models/outbox.go")
	if err != nil {
		t.Fatal(err)
	}
	declared := noticeConst.FindAllStringSubmatch(string(src), -1)
	if len(declared) != len(noticeKinds) {
		t.Fatalf("models/outbox.go declares %d notice kinds, noticeKinds lists %d: render every kind", len(declared), len(noticeKinds))
	}
	deadline := time.Date(2027, 6, 5, 16, 0, 0, 0, time.UTC)
	months := map[string]string{"fr": "juin", "ar": "يونيو", "en": "June"}
	for _, kind := range noticeKinds {
		for _, lang := range catalogLangs {
			t.Run(kind+"/"+lang, func(t *testing.T) {
				for _, id := range []string{"Email_" + kind + "_subject", "Email_" + kind + "_body"} {
					if !a.h.tr.hasMessage(lang, id) {
						t.Errorf("review.%s.toml lacks %s", lang, id)
					}
				}
				if outboxKindLabels[kind] == "" {
					t.Errorf("no outbox label for %s", kind)
				}
				m := models.OutboxEmail{Kind: kind, Locale: lang}
				params := map[string]string{"artisan": "Atelier Bennani", "fair": "Salon\r\nBcc: x@evil.test", "stand": "B12",
					"deadline": deadline.Format(time.RFC3339), "fee_state": "fee_due", "fee_cents": "45000", "note": "Motif précis", "position": "3"}
				b, _ := jsonMarshal(params)
				m.Params = b
				subject, body := a.h.renderNotice(context.Background(), m)
				for _, bad := range []string{"Email_", "<no value>", "{{", "%!"} {
					if strings.Contains(subject+body, bad) {
						t.Errorf("rendered e-mail contains %q:\n%s\n%s", bad, subject, body)
					}
				}
				if strings.ContainsAny(subject, "\r\n") {
					t.Errorf("subject spans lines: %q", subject)
				}
				if !strings.Contains(body, "Atelier Bennani") || !strings.Contains(subject+body, "Salon") || !strings.Contains(body, "https://souk.example/studio/applications") {
					t.Errorf("e-mail lacks the artisan, the fair or the link:\n%s\n%s", subject, body)
				}
				if kind == models.NoticePlaceOffered {
					if !strings.Contains(body, months[lang]) || strings.Contains(body, "2027-06-05T") {
						t.Errorf("deadline not written for people: %s", body)
					}
					if !strings.Contains(body, "17:00") { // 16:00 UTC is 17:00 in Morocco (UTC+1)
						t.Errorf("deadline not in Morocco time: %s", body)
					}
				}
			})
		}
	}
	// An unknown kind still gives a readable e-mail.
	subject, body := a.h.renderNotice(context.Background(), models.OutboxEmail{Kind: "something_new", Locale: "en", Params: `{"fair":"Salon","artisan":"A"}`})
	if strings.Contains(subject+body, "Email_") || !strings.Contains(subject, "Salon") {
		t.Errorf("unknown kind: %q %q", subject, body)
	}
}

func jsonMarshal(v map[string]string) (string, error) {
	b, err := json.Marshal(v)
	return string(b), err
}

func TestParseSMTPURL(t *testing.T) {
	tests := []struct {
		raw      string
		ok       bool
		addr     string
		from     string
		implicit bool
	}{
		{"", true, "", "", false},
		{"smtp://user:pw@mail.example:2525", true, "mail.example:2525", "no-reply@mail.example", false},
		{"smtp://noreply%40smap.example:pw@mail.example", true, "mail.example:587", "noreply@smap.example", false},
		{"smtps://u:p@mail.example?from=salon@smap.example", true, "mail.example:465", "salon@smap.example", true},
		{"http://mail.example", false, "", "", false},
		{"smtp://", false, "", "", false},
		{"smtp://mail.example:99999", false, "", "", false},
		{"smtp://mail.example?from=not-an-address", false, "", "", false},
		{"smtp://u:secret@mail.example/path", false, "", "", false},
	}
	for _, tc := range tests {
		t.Run(tc.raw, func(t *testing.T) {
			s, err := parseSMTPURL(tc.raw)
			if (err == nil) != tc.ok {
				t.Fatalf("err = %v, want ok=%v", err, tc.ok)
			}
			if err != nil {
				if strings.Contains(err.Error(), "secret") {
					t.Errorf("the error repeats the password: %v", err)
				}
				return
			}
			if s == nil {
				if tc.raw != "" {
					t.Fatal("nil settings for a URL")
				}
				return
			}
			if s.addr != tc.addr || s.from != tc.from || s.implicitTLS != tc.implicit {
				t.Errorf("got %s from %s tls %v", s.addr, s.from, s.implicitTLS)
			}
		})
	}
}

// TestOrderNoticesInEveryLanguage: every e-mail sent to a buyer exists in French, Arabic and
// English, names the order, and points to the order (not to an application).
func TestOrderNoticesInEveryLanguage(t *testing.T) {
	a := newTestApp(t, nil, Config{BaseURL: "https://souk.example"})
	kinds := []string{models.NoticeOrderConfirmed, models.NoticeOrderPaid, models.NoticeOrderReady,
		models.NoticeOrderShipped, models.NoticeOrderRefunded, models.NoticeOrderExpired, models.NoticeOrderUncollected}
	for _, kind := range kinds {
		for _, lang := range catalogLangs {
			t.Run(kind+"/"+lang, func(t *testing.T) {
				for _, id := range []string{"Email_" + kind + "_subject", "Email_" + kind + "_body"} {
					if !a.h.tr.hasMessage(lang, id) {
						t.Fatalf("no %s in %s", id, lang)
					}
				}
				if outboxKindLabels[kind] == "" {
					t.Errorf("no outbox label for %s", kind)
				}
				params := `{"code":"SX-7F3K9Q","name":"Nadia","artisan":"Nadia","total_cents":"14300","amount_cents":"14300",` +
					`"link":"/orders/SX-7F3K9Q","tracking":"BE123","stand":"B12","fair":"Salon","order":"SX-7F3K9Q",` +
					`"business":"Atelier Bennani","pickup_code":"K7P2M9QX"}`
				subject, body := a.h.renderNotice(context.Background(), models.OutboxEmail{Kind: kind, Locale: lang, Params: params})
				if !strings.Contains(subject+body, "SX-7F3K9Q") {
					t.Errorf("%s e-mail does not name the order:\n%s\n%s", kind, subject, body)
				}
				if strings.Contains(body, "/studio/applications") || !strings.Contains(body, "https://souk.example/orders/SX-7F3K9Q") {
					t.Errorf("%s e-mail to a buyer does not point to the order:\n%s", kind, body)
				}
				if strings.Contains(subject+body, "<no value>") {
					t.Errorf("%s e-mail has a hole:\n%s\n%s", kind, subject, body)
				}
				if !strings.Contains(body, "/orders/SX-7F3K9Q?t=") {
					t.Errorf("%s e-mail links to the order without its token (guests could not open it):\n%s", kind, body)
				}
				if strings.Count(body, "/orders/SX-7F3K9Q") > 1 {
					t.Errorf("%s e-mail repeats the order link:\n%s", kind, body)
				}
			})
		}
	}
	// A reservation collected in part says so, in every language.
	for _, lang := range catalogLangs {
		m := models.OutboxEmail{Kind: models.NoticeOrderUncollected, Locale: lang, Params: `{"code":"SX-7F3K9Q","name":"Nadia"}`}
		_, whole := a.h.renderNotice(context.Background(), m)
		m.Params = `{"code":"SX-7F3K9Q","name":"Nadia","partly":"true"}`
		_, partly := a.h.renderNotice(context.Background(), m)
		if whole == partly || strings.Contains(partly, "<no value>") {
			t.Errorf("%s: the partly collected reservation's e-mail is the same as the uncollected one:\n%s", lang, partly)
		}
	}
}

// TestStudioNewOrderNoticeInEveryLanguage: the artisan's "new order" e-mail says what to
// prepare and where it goes (their stand, or the buyer's country), in French, Arabic and
// English, and links to their studio, never to the buyer's order page.
func TestStudioNewOrderNoticeInEveryLanguage(t *testing.T) {
	a := newTestApp(t, nil, Config{BaseURL: "https://souk.example"})
	cases := map[string]string{
		"pickup":   `{"artisan":"Atelier Nour","order":"SX-7F3K9Q","pieces":"2 × Plateau","fulfilment":"pickup","stand":"A3","fair":"Salon de Bruxelles","gateway":"stand","link":"/studio/orders"}`,
		"shipping": `{"artisan":"Atelier Nour","order":"SX-7F3K9Q","pieces":"2 × Plateau","fulfilment":"shipping","gateway":"stripe","ship_country":"FR","link":"/studio/orders"}`,
	}
	for name, params := range cases {
		for _, lang := range catalogLangs {
			t.Run(name+"/"+lang, func(t *testing.T) {
				subject, body := a.h.renderNotice(context.Background(), models.OutboxEmail{Kind: models.NoticeStudioNewOrder, Locale: lang, Params: params})
				for _, want := range []string{"SX-7F3K9Q", "2 × Plateau", "https://souk.example/studio/orders", "Atelier Nour"} {
					if !strings.Contains(subject+body, want) {
						t.Errorf("e-mail lacks %q:\n%s\n%s", want, subject, body)
					}
				}
				where := "A3"
				if name == "shipping" {
					where = a.h.tr.localize(lang, "CountryFR", nil, nil)
				}
				if !strings.Contains(body, where) || strings.Contains(body, "/orders/SX-") || strings.Contains(subject+body, "<no value>") {
					t.Errorf("e-mail does not say where the pieces go (%q), or links to the buyer's page:\n%s", where, body)
				}
				if outboxKindLabels[models.NoticeStudioNewOrder] == "" || subject == a.h.tr.localize(lang, "EmailGenericSubject", nil, nil) {
					t.Error("no label or no subject of its own")
				}
			})
		}
	}
}
