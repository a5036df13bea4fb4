package handlers

// E-mails to artisans: each decision writes a notice (kind, language, parameters) to the
// outbox in its own transaction; this file renders notices in the artisan's language, sends
// them by SMTP when SMTP_URL is set (from the janitor, claimed so that one instance sends each
// e-mail once), and shows the outbox to organizers — unsent e-mails rendered on the fly.

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"net/smtp"
	"net/textproto"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/soukexpo/souk/models"
)

// noticeKinds lists every notice the models write; each has Email_<kind>_subject and
// Email_<kind>_body in every catalog, and OutboxKind_<kind> for the outbox page.
var noticeKinds = []string{
	models.NoticeApplicationReceived, models.NoticeChamberReviewed, models.NoticeApplicationAccepted,
	models.NoticeApplicationWaitlist, models.NoticeApplicationRejected, models.NoticeApplicationReleased,
	models.NoticeApplicationWithdrawn, models.NoticePlaceOffered, models.NoticeOfferExpired,
	models.NoticeStandAssigned, models.NoticeStandUnassigned, models.NoticeFeeCovered, models.NoticeFeePaid,
}

// artisanZone is the time zone of the people reading the e-mails and the deadlines they are
// given: artisans in Morocco. The organizers' pages show the same times, so both sides agree.
var artisanZone = func() *time.Location {
	if loc, err := time.LoadLocation("Africa/Casablanca"); err == nil {
		return loc
	}
	return time.UTC
}()

// reviewDateTime writes an instant as day and hour in Morocco: "5 juin 2026, 18:00".
func (h *Handler) reviewDateTime(lang string, t time.Time) string {
	local := t.In(artisanZone)
	return h.tr.localize(lang, "ReviewDateTime", nil, map[string]any{"Date": formatDate(lang, local), "Time": local.Format("15:04")})
}

// emailLang is the catalog language of a notice (French when unknown).
func emailLang(locale string) string {
	switch locale {
	case "ar", "en":
		return locale
	}
	return "fr"
}

// renderNotice writes an outbox e-mail in the recipient's language from its kind and
// parameters: greeting, what happened, where to follow the application, signature.
func (h *Handler) renderNotice(ctx context.Context, m models.OutboxEmail) (subject, body string) {
	lang := emailLang(m.Locale)
	p := m.NoticeParams()
	data := map[string]any{
		"Artisan": p["artisan"], "Fair": p["fair"], "Stand": p["stand"], "Note": p["note"],
		"Position": p["position"], "Deadline": "", "Fee": "", "Covered": false, "Offer": p["via"] == "offer",
		"URL": strings.TrimRight(h.cfg.BaseURL, "/") + "/studio/applications",
	}
	h.addOrderNoticeData(lang, p, data)
	h.addPaymentNoticeData(ctx, lang, p, data)
	data["part"], data["site_url"] = p, strings.TrimRight(h.cfg.BaseURL, "/") // fulfilment notices (order_ready, order_shipped)
	if strings.HasPrefix(m.Kind, "order_") {
		// Every buyer's e-mail links to the order with its signed token: guests have no account.
		code := p["code"]
		if code == "" {
			code = p["order"]
		}
		if code != "" {
			data["Code"], data["URL"] = code, h.absURL(h.orderLink(ctx, code, true))
		}
	}
	if strings.HasPrefix(m.Kind, "studio_") {
		// An artisan's order e-mail points to their studio, never to the buyer's order page.
		data["URL"] = h.absURL(p["link"])
		if c := p["ship_country"]; c != "" {
			data["Country"] = h.tr.localize(lang, "Country"+c, nil, nil)
		}
	}
	if d, err := time.Parse(time.RFC3339, p["deadline"]); err == nil {
		data["Deadline"] = h.reviewDateTime(lang, d)
	}
	if cents, err := strconv.ParseInt(p["fee_cents"], 10, 64); err == nil && cents > 0 {
		data["Fee"] = formatEuros(lang, cents)
	}
	if p["fee_state"] == string(models.FeeCovered) {
		data["Covered"], data["Fee"] = true, ""
	}
	subjectID, bodyID := "Email_"+m.Kind+"_subject", "Email_"+m.Kind+"_body"
	subject = h.tr.localize(lang, subjectID, nil, data)
	main := h.tr.localize(lang, bodyID, nil, data)
	if subject == subjectID || main == bodyID { // a kind this version does not know
		subject = h.tr.localize(lang, "EmailGenericSubject", nil, data)
		main = h.tr.localize(lang, "EmailGenericBody", nil, data)
	}
	parts := []string{h.tr.localize(lang, "EmailGreeting", nil, data), main}
	switch {
	case strings.HasPrefix(m.Kind, "order_"):
		// A buyer's e-mail already links to the order; questions go to the organizers.
		parts = append(parts, h.tr.localize(lang, "EmailSignatureOrder", nil, data))
	case strings.HasPrefix(m.Kind, "studio_"):
		parts = append(parts, h.tr.localize(lang, "EmailFollowOrders", nil, data), h.tr.localize(lang, "EmailSignature", nil, data))
	default:
		parts = append(parts, h.tr.localize(lang, "EmailFollowLink", nil, data), h.tr.localize(lang, "EmailSignature", nil, data))
	}
	return oneLine(subject), strings.Join(parts, "\n\n")
}

// oneLine keeps a header value on one line (no header injection through a fair's name).
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// ---- SMTP ----

// smtpTimeout bounds one whole SMTP dialogue; it stays well under the database's
// idle-in-transaction timeout, since the e-mail's row is locked meanwhile.
const smtpTimeout = 20 * time.Second

// smtpSettings is SMTP_URL decoded.
type smtpSettings struct {
	addr, host  string
	user, pass  string
	from        string
	implicitTLS bool
}

var errSMTPURL = errors.New("SMTP_URL must look like smtp://user:password@host:587 or smtps://user:password@host:465 (optionally ?from=address)")

// parseSMTPURL decodes SMTP_URL; empty means no SMTP (nil, nil). Errors never repeat the URL,
// which holds a password.
func parseSMTPURL(raw string) (*smtpSettings, error) {
	if raw == "" {
		return nil, nil
	}
	u, err := url.Parse(raw)
	if err != nil || u.Hostname() == "" || u.Path != "" && u.Path != "/" {
		return nil, errSMTPURL
	}
	s := &smtpSettings{host: u.Hostname()}
	port := u.Port()
	switch u.Scheme {
	case "smtp":
		if port == "" {
			port = "587"
		}
	case "smtps":
		s.implicitTLS = true
		if port == "" {
			port = "465"
		}
	default:
		return nil, errSMTPURL
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > math.MaxUint16 {
		return nil, errSMTPURL
	}
	s.addr = net.JoinHostPort(s.host, port)
	if u.User != nil {
		s.user = u.User.Username()
		s.pass, _ = u.User.Password()
	}
	from := u.Query().Get("from")
	switch {
	case from != "":
	case strings.Contains(s.user, "@"):
		from = s.user
	default:
		from = "no-reply@" + s.host
	}
	addr, err := mail.ParseAddress(from)
	if err != nil {
		return nil, fmt.Errorf("SMTP_URL: the sender address %q is not an e-mail address", from)
	}
	s.from = addr.Address
	return s, nil
}

// ValidateSMTPURL checks SMTP_URL at start-up (empty is valid: e-mails stay in the outbox).
func ValidateSMTPURL(raw string) error {
	_, err := parseSMTPURL(raw)
	return err
}

// buildMessage writes a plain-text UTF-8 e-mail (quoted-printable, so Arabic survives any relay).
func (s *smtpSettings) buildMessage(m models.OutboxEmail, subject, body string, now time.Time) ([]byte, error) {
	var b bytes.Buffer
	from := mail.Address{Name: "Souk Expo", Address: s.from}
	headers := [][2]string{
		{"From", from.String()},
		{"To", m.ToAddress},
		{"Subject", mime.QEncoding.Encode("utf-8", oneLine(subject))},
		{"Date", now.Format(time.RFC1123Z)},
		{"Message-ID", fmt.Sprintf("<outbox-%d.%s@%s>", m.ID, randomHex(6), s.host)},
		{"MIME-Version", "1.0"},
		{"Content-Type", "text/plain; charset=UTF-8"},
		{"Content-Transfer-Encoding", "quoted-printable"},
		{"Content-Language", emailLang(m.Locale)},
		{"Auto-Submitted", "auto-generated"},
	}
	for _, kv := range headers {
		b.WriteString(kv[0] + ": " + kv[1] + "\r\n")
	}
	b.WriteString("\r\n")
	qp := quotedprintable.NewWriter(&b)
	if _, err := qp.Write([]byte(strings.ReplaceAll(body, "\n", "\r\n"))); err != nil {
		return nil, fmt.Errorf("encode e-mail %d: %w", m.ID, err)
	}
	if err := qp.Close(); err != nil {
		return nil, fmt.Errorf("encode e-mail %d: %w", m.ID, err)
	}
	return b.Bytes(), nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// send delivers one message; failures to reach or talk to the server wrap
// models.ErrMailServerDown, a refusal of this recipient (5xx) does not.
func (s *smtpSettings) send(ctx context.Context, to string, msg []byte) error {
	rcpt, err := mail.ParseAddress(to)
	if err != nil {
		return fmt.Errorf("recipient %q: %w", to, err)
	}
	ctx, cancel := context.WithTimeout(ctx, smtpTimeout)
	defer cancel()
	d := net.Dialer{Timeout: 10 * time.Second}
	conn, err := d.DialContext(ctx, "tcp", s.addr)
	if err != nil {
		return fmt.Errorf("connect to %s: %w", s.addr, errors.Join(models.ErrMailServerDown, err))
	}
	deadline, _ := ctx.Deadline()
	if err := conn.SetDeadline(deadline); err != nil {
		_ = conn.Close()
		return fmt.Errorf("smtp deadline: %w", errors.Join(models.ErrMailServerDown, err))
	}
	if s.implicitTLS {
		conn = tls.Client(conn, &tls.Config{ServerName: s.host, MinVersion: tls.VersionTLS12})
	}
	c, err := smtp.NewClient(conn, s.host)
	if err != nil {
		_ = conn.Close()
		return fmt.Errorf("smtp greeting: %w", errors.Join(models.ErrMailServerDown, err))
	}
	defer func() { _ = c.Close() }()
	if !s.implicitTLS {
		if ok, _ := c.Extension("STARTTLS"); ok {
			if err := c.StartTLS(&tls.Config{ServerName: s.host, MinVersion: tls.VersionTLS12}); err != nil {
				return fmt.Errorf("smtp starttls: %w", errors.Join(models.ErrMailServerDown, err))
			}
		}
	}
	if s.user != "" {
		// PlainAuth refuses to send the password without TLS (except to localhost).
		if err := c.Auth(smtp.PlainAuth("", s.user, s.pass, s.host)); err != nil {
			return fmt.Errorf("smtp auth: %w", errors.Join(models.ErrMailServerDown, err))
		}
	}
	step := func(what string, err error) error {
		var te *textproto.Error
		if errors.As(err, &te) && te.Code >= 500 {
			return fmt.Errorf("smtp %s: %w", what, err) // this message is refused; others may pass
		}
		return fmt.Errorf("smtp %s: %w", what, errors.Join(models.ErrMailServerDown, err))
	}
	if err := c.Mail(s.from); err != nil {
		return step("mail from", err)
	}
	if err := c.Rcpt(rcpt.Address); err != nil {
		return step("rcpt to", err)
	}
	w, err := c.Data()
	if err != nil {
		return step("data", err)
	}
	if _, err := w.Write(msg); err != nil {
		return step("data", err)
	}
	if err := w.Close(); err != nil {
		return step("data", err)
	}
	_ = c.Quit() // delivered; a failed goodbye changes nothing
	return nil
}

// outboxBatch is how many e-mails one janitor run tries to send.
const outboxBatch = 100

// DeliverOutbox sends pending e-mails when SMTP_URL is set and records each outcome; without
// SMTP it sends nothing and the e-mails stay readable at /admin/outbox.
func (h *Handler) DeliverOutbox(ctx context.Context) (int, error) {
	s, err := parseSMTPURL(h.cfg.SMTPURL)
	if err != nil || s == nil {
		return 0, err
	}
	return models.DeliverOutbox(ctx, h.db, outboxBatch, time.Now, func(m models.OutboxEmail) (string, string, error) {
		subject, body := h.renderNotice(ctx, m)
		msg, err := s.buildMessage(m, subject, body, time.Now())
		if err != nil {
			return "", "", err
		}
		if err := s.send(ctx, m.ToAddress, msg); err != nil {
			return "", "", err
		}
		return subject, body, nil
	})
}

// deliverOutboxJob is the janitor's e-mail run.
func (h *Handler) deliverOutboxJob(ctx context.Context) {
	n, err := h.DeliverOutbox(ctx)
	if err != nil {
		h.log.Warn("deliver outbox", slog.Any("error", err), slog.Int("sent", n))
		return
	}
	if n > 0 {
		h.log.Info("delivered e-mails", slog.Int("sent", n))
	}
}

// ---- /admin/outbox ----

const outboxPerPage = 30

type outboxRow struct {
	ID        int64
	To        string
	Subject   string
	Body      string
	Kind      string // message id of the kind's name
	Lang      string
	Dir       string
	LangName  string
	Created   string
	State     string // sent, failed, pending, kept
	SentAt    string
	Attempts  int
	LastError string
}

type outboxData struct {
	Rows      []outboxRow
	SMTP      bool
	Total     int
	Page      int
	Pages     int
	PrevURL   string
	NextURL   string
	PageLinks []pageLink
}

// outboxKindLabels name each notice kind on the outbox page (message ids).
var outboxKindLabels = map[string]string{
	models.NoticeApplicationReceived:  "OutboxKindReceived",
	models.NoticeChamberReviewed:      "OutboxKindChamberReviewed",
	models.NoticeApplicationAccepted:  "OutboxKindAccepted",
	models.NoticeApplicationWaitlist:  "OutboxKindWaitlisted",
	models.NoticeApplicationRejected:  "OutboxKindRejected",
	models.NoticeApplicationReleased:  "OutboxKindReleased",
	models.NoticeApplicationWithdrawn: "OutboxKindWithdrawn",
	models.NoticePlaceOffered:         "OutboxKindPlaceOffered",
	models.NoticeOfferExpired:         "OutboxKindOfferExpired",
	models.NoticeStandAssigned:        "OutboxKindStandAssigned",
	models.NoticeStandUnassigned:      "OutboxKindStandUnassigned",
	models.NoticeFeeCovered:           "OutboxKindFeeCovered",
	models.NoticeFeePaid:              "OutboxKindFeePaid",
	models.NoticeOrderConfirmed:       "OutboxKindOrderConfirmed",
	models.NoticeOrderPaid:            "OutboxKindOrderPaid",
	models.NoticeOrderReady:           "OutboxKindOrderReady",
	models.NoticeOrderShipped:         "OutboxKindOrderShipped",
	models.NoticeOrderRefunded:        "OutboxKindOrderRefunded",
	models.NoticeOrderExpired:         "OutboxKindOrderExpired",
	models.NoticeOrderUncollected:     "OutboxKindOrderUncollected",
	models.NoticeStudioNewOrder:       "OutboxKindStudioNewOrder",
}

// reviewPageLinks numbers the pages around the current one, with gaps.
func reviewPageLinks(urlFor func(int) string, current, pages int) []pageLink {
	if pages <= 1 {
		return nil
	}
	var out []pageLink
	last := 0
	for n := 1; n <= pages; n++ {
		if n != 1 && n != pages && (n < current-2 || n > current+2) {
			continue
		}
		if last != 0 && n > last+1 {
			out = append(out, pageLink{Gap: true})
		}
		out = append(out, pageLink{N: n, URL: urlFor(n), Current: n == current})
		last = n
	}
	return out
}

// queryPage reads ?page= (1 when absent or wrong).
func queryPage(c *fiber.Ctx) int {
	n, err := strconv.Atoi(c.Query("page"))
	if err != nil || n < 1 || n > 100000 {
		return 1
	}
	return n
}

func (h *Handler) showOutbox(c *fiber.Ctx) error {
	page := h.newPage(c, "OutboxTitle")
	n := queryPage(c)
	mails, total, err := models.ListOutbox(c.UserContext(), h.db, n, outboxPerPage)
	if err != nil {
		return fmt.Errorf("outbox: %w", err)
	}
	smtpOn := h.cfg.SMTPURL != ""
	data := outboxData{SMTP: smtpOn, Total: int(total), Page: n, Pages: int((total + outboxPerPage - 1) / outboxPerPage)}
	urlFor := func(k int) string { return "/admin/outbox?page=" + strconv.Itoa(k) }
	if n > 1 && n <= data.Pages {
		data.PrevURL = urlFor(n - 1)
	}
	if n < data.Pages {
		data.NextURL = urlFor(n + 1)
	}
	data.PageLinks = reviewPageLinks(urlFor, n, data.Pages)
	for _, m := range mails {
		lang := emailLang(m.Locale)
		row := outboxRow{ID: m.ID, To: m.ToAddress, Kind: outboxKindLabels[m.Kind], Lang: lang, Dir: textDirection(lang),
			LangName: languageNames[lang], Created: h.reviewDateTime(page.Lang, m.CreatedAt), Attempts: m.Attempts, LastError: m.LastError}
		if row.Kind == "" {
			row.Kind = "OutboxKindOther"
		}
		switch {
		case m.SentAt != nil:
			row.State, row.SentAt, row.Subject, row.Body = "sent", h.reviewDateTime(page.Lang, *m.SentAt), m.Subject, m.Body
		default:
			row.Subject, row.Body = h.renderNotice(c.UserContext(), m)
			switch {
			case m.LastError != "":
				row.State = "failed"
			case smtpOn:
				row.State = "pending"
			default:
				row.State = "kept"
			}
		}
		data.Rows = append(data.Rows, row)
	}
	page.Data = data
	return h.render(c, fiber.StatusOK, tplAdminOutbox, page)
}
