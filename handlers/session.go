package handlers

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/session"
	"github.com/soukexpo/souk/models"
)

// Session keys.
const (
	sessUserID  = "uid"
	sessEpoch   = "epoch"
	sessCreated = "created"
	sessSeen    = "seen"
	sessCSRF    = "csrf"
	sessFlash   = "flash"
)

// Session lifetimes: idle (refreshed at most every touchEvery) and absolute.
const (
	sessionIdle     = 24 * time.Hour
	sessionAbsolute = 7 * 24 * time.Hour
	touchEvery      = 5 * time.Minute
)

// sessionKeyPrefix keeps session rows apart from the limiter counters in the shared key/value
// table: a session id comes from a cookie the client chooses, so it must never name another
// kind of row (a counter decoded as a session failed the request with a 500).
const sessionKeyPrefix = "session:"

// sessionStorage is the session store's view of the key/value table: every key prefixed.
type sessionStorage struct{ fiber.Storage }

func (s sessionStorage) Get(id string) ([]byte, error) { return s.Storage.Get(sessionKeyPrefix + id) }

func (s sessionStorage) Set(id string, val []byte, exp time.Duration) error {
	return s.Storage.Set(sessionKeyPrefix+id, val, exp)
}

func (s sessionStorage) Delete(id string) error { return s.Storage.Delete(sessionKeyPrefix + id) }

const (
	localsSession = "web_session"
	localsUser    = "user"
)

// webSession wraps the request's Fiber session: it is loaded at most once, created only when
// something must be remembered, and saved once after the handler if it changed. Fiber releases
// a session object when it is saved, so every read after that uses the cached copies.
type webSession struct {
	sess      *session.Session
	dirty     bool
	finished  bool
	token     string
	destroyed bool
}

func webSessionOf(c *fiber.Ctx) *webSession {
	ws, _ := c.Locals(localsSession).(*webSession)
	return ws
}

// ensureWebSession returns the request's session, creating a new one when there is none.
func ensureWebSession(c *fiber.Ctx, h *Handler) *webSession {
	ws := webSessionOf(c)
	if ws == nil {
		ws = &webSession{}
		c.Locals(localsSession, ws)
	}
	if ws.sess == nil && !ws.finished {
		sess, err := h.sessions.Get(c)
		if err != nil {
			// Storage failed: carry on without a session; the form's POST will be refused.
			h.log.Warn("create session", "error", err, "request_id", requestID(c))
			return ws
		}
		ws.sess = sess
		ws.dirty = true
		now := time.Now().Unix()
		sess.Set(sessCreated, now)
		sess.Set(sessSeen, now)
	}
	return ws
}

func (ws *webSession) active() bool { return ws != nil && ws.sess != nil && !ws.finished }

func (ws *webSession) hasToken() bool {
	if ws.token != "" {
		return true
	}
	if !ws.active() {
		return false
	}
	t, _ := ws.sess.Get(sessCSRF).(string)
	return t != ""
}

// csrfToken returns the session's synchronizer token, minting one if needed.
func (ws *webSession) csrfToken() string {
	if ws.token != "" || !ws.active() {
		return ws.token
	}
	if t, _ := ws.sess.Get(sessCSRF).(string); t != "" {
		ws.token = t
		return t
	}
	ws.token = newToken()
	ws.sess.Set(sessCSRF, ws.token)
	ws.dirty = true
	return ws.token
}

func (ws *webSession) addFlash(kind, messageID string) { ws.addFlashArgs(kind, messageID) }

// addFlashArgs adds a flash whose message takes data: key/value pairs ("Code", "B12").
func (ws *webSession) addFlashArgs(kind, messageID string, kv ...string) {
	if !ws.active() {
		return
	}
	var args map[string]string
	for i := 0; i+1 < len(kv); i += 2 {
		if args == nil {
			args = map[string]string{}
		}
		args[kv[i]] = kv[i+1]
	}
	flashes := ws.peekFlashes()
	flashes = append(flashes, Flash{Kind: kind, Message: messageID, Args: args})
	b, err := json.Marshal(flashes)
	if err != nil {
		return
	}
	ws.sess.Set(sessFlash, string(b))
	ws.dirty = true
}

func (ws *webSession) peekFlashes() []Flash {
	raw, _ := ws.sess.Get(sessFlash).(string)
	if raw == "" {
		return nil
	}
	var out []Flash
	if err := json.Unmarshal([]byte(raw), &out); err != nil {
		return nil
	}
	return out
}

func (ws *webSession) takeFlashes() []Flash {
	if !ws.active() {
		return nil
	}
	out := ws.peekFlashes()
	if len(out) > 0 {
		ws.sess.Delete(sessFlash)
		ws.dirty = true
	}
	return out
}

// login gives the session a new id (fixation defence), binds it to the user and rotates the
// CSRF token.
func (ws *webSession) login(u models.User) error {
	if err := ws.sess.Regenerate(); err != nil {
		return fmt.Errorf("regenerate session: %w", err)
	}
	now := time.Now().Unix()
	ws.sess.Set(sessUserID, u.ID)
	ws.sess.Set(sessEpoch, u.SessionEpoch)
	ws.sess.Set(sessCreated, now)
	ws.sess.Set(sessSeen, now)
	ws.token = newToken()
	ws.sess.Set(sessCSRF, ws.token)
	ws.dirty = true
	return nil
}

// destroy ends the session on the server and expires the cookie.
func (ws *webSession) destroy() error {
	if !ws.active() {
		return nil
	}
	if err := ws.sess.Destroy(); err != nil {
		return fmt.Errorf("destroy session: %w", err)
	}
	ws.sess = nil
	ws.dirty = false
	ws.destroyed = true
	ws.token = ""
	return nil
}

// save writes the session if it changed; afterwards the Fiber session must not be touched.
func (ws *webSession) save() error {
	if !ws.active() {
		return nil
	}
	ws.finished = true
	if !ws.dirty {
		return nil
	}
	ws.dirty = false
	if err := ws.sess.Save(); err != nil {
		return fmt.Errorf("save session: %w", err)
	}
	return nil
}

func newToken() string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic(fmt.Sprintf("crypto/rand failed: %v", err)) // the platform is broken; never issue weak tokens
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

func asInt64(v any) int64 {
	switch n := v.(type) {
	case int64:
		return n
	case int:
		return int64(n)
	case int32:
		return int64(n)
	}
	return 0
}

// withSession loads the session when the request carries a cookie, resolves the signed-in
// user, runs the rest of the chain, renders any error while the session is still open, and
// saves the session once.
func (h *Handler) withSession(c *fiber.Ctx) error {
	ws := &webSession{}
	c.Locals(localsSession, ws)
	if c.Cookies(h.sessionCookie) != "" {
		sess, err := h.sessions.Get(c)
		if err != nil {
			return fmt.Errorf("load session: %w", err)
		}
		ws.sess = sess
		if err := h.resolveUser(c, ws); err != nil {
			return err
		}
	}
	err := c.Next()
	if err != nil {
		err = h.handleError(c, err)
	}
	if serr := ws.save(); serr != nil {
		h.log.Warn("save session", "error", serr, "request_id", requestID(c))
	}
	return err
}

// resolveUser puts the signed-in user in the request, ending sessions that are too old, of a
// disabled account, or from before a password change (session epoch).
func (h *Handler) resolveUser(c *fiber.Ctx, ws *webSession) error {
	now := time.Now()
	created := asInt64(ws.sess.Get(sessCreated))
	if created != 0 && now.Sub(time.Unix(created, 0)) > sessionAbsolute {
		return ws.destroy()
	}
	uid := asInt64(ws.sess.Get(sessUserID))
	if uid == 0 {
		return nil
	}
	u, err := models.GetUser(c.UserContext(), h.db, uid)
	switch {
	case errors.Is(err, models.ErrNotFound):
		return ws.destroy()
	case err != nil:
		return fmt.Errorf("load signed-in user: %w", err)
	}
	if u.DisabledAt != nil || asInt64(ws.sess.Get(sessEpoch)) != int64(u.SessionEpoch) {
		return ws.destroy()
	}
	if seen := asInt64(ws.sess.Get(sessSeen)); now.Sub(time.Unix(seen, 0)) > touchEvery {
		ws.sess.Set(sessSeen, now.Unix()) // keeps the idle expiry moving for active users
		ws.dirty = true
	}
	c.Locals(localsUser, &u)
	return nil
}

func currentUser(c *fiber.Ctx) *models.User {
	u, _ := c.Locals(localsUser).(*models.User)
	return u
}

// verifyCSRF refuses a state-changing request that comes from another site or lacks the
// session's token (form field _csrf or header X-Csrf-Token).
func (h *Handler) verifyCSRF(c *fiber.Ctx) error {
	if site := c.Get("Sec-Fetch-Site"); site == "cross-site" {
		return httpError(fiber.StatusForbidden, "ErrorCSRF", errors.New("cross-site request"))
	}
	if origin := c.Get(fiber.HeaderOrigin); origin != "" && origin != "null" && !h.sameOrigin(c, origin) {
		return httpError(fiber.StatusForbidden, "ErrorCSRF", fmt.Errorf("foreign origin %q", origin))
	}
	sent := c.Get("X-Csrf-Token")
	if sent == "" {
		sent = bodyField(c, "_csrf")
	}
	ws := webSessionOf(c)
	if sent == "" || ws == nil || !ws.hasToken() {
		return httpError(fiber.StatusForbidden, "ErrorCSRF", errors.New("missing csrf token"))
	}
	want := ws.csrfToken()
	if subtle.ConstantTimeCompare([]byte(sent), []byte(want)) != 1 {
		return httpError(fiber.StatusForbidden, "ErrorCSRF", errors.New("wrong csrf token"))
	}
	return c.Next()
}

// bodyField reads a field of a urlencoded or multipart body, never of the query string (which
// c.FormValue also reads): a token in a URL leaks through logs, history and Referer.
func bodyField(c *fiber.Ctx, name string) string {
	if v := c.Request().PostArgs().Peek(name); len(v) > 0 {
		return string(v)
	}
	if form, err := c.MultipartForm(); err == nil && len(form.Value[name]) > 0 {
		return form.Value[name][0]
	}
	return ""
}

func (h *Handler) sameOrigin(c *fiber.Ctx, origin string) bool {
	o, err := url.Parse(origin)
	if err != nil {
		return false
	}
	if h.baseURL != nil && o.Scheme == h.baseURL.Scheme && o.Host == h.baseURL.Host {
		return true
	}
	return o.Scheme == c.Protocol() && o.Host == string(c.Request().Host())
}
