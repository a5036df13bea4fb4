package handlers

// Photos in the studio: uploads through the image pipeline into the object store, the gallery
// editor (delete, cover, order), who may fetch a photo under /media, and the sweep of objects
// no row points to.
//
// Write order: the variants are put first, then the row is written. A failed Put deletes the
// variants already put and answers 503, so no row ever points to a missing object; a failed row
// insert deletes the objects; whatever a crash leaves behind (objects without a row) the
// periodic sweep deletes once it is older than the grace period.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"mime/multipart"
	"path"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/gofiber/fiber/v2"
	"github.com/soukexpo/souk/models"
	"github.com/soukexpo/souk/storage"
)

const (
	// photoPrefix is where photo variants live: img/<uuid>-<width>.jpg.
	photoPrefix = "img"
	// orphanGrace is how old an object without a row must be before the sweep deletes it: an
	// upload puts its objects a moment before it writes the row.
	orphanGrace = time.Hour
	// sweepEvery is how often RunJanitor sweeps orphaned objects.
	sweepEvery = time.Hour
	// sweepTimeout bounds one sweep.
	sweepTimeout = 10 * time.Minute
	// sweepBatch is how many key bases one database lookup checks.
	sweepBatch = 500
	// cleanupTimeout bounds deleting the objects of a failed or replaced upload.
	cleanupTimeout = 5 * time.Second
	// maxShownName bounds a file name echoed in an upload report.
	maxShownName = 80
)

// uploadLimit is how many upload requests one account may send per uploadWindow, both upload
// routes together (checklist C): each request runs the image pipeline, and upload.js sends one
// request per file. A variable so that tests can lower it before building the app.
var uploadLimit = 60

// uploadWindow is the sliding window of uploadLimit.
const uploadWindow = 10 * time.Minute

// errStoreDown marks an upload whose variants could not all be stored.
var errStoreDown = errors.New("store photo variants")

// uploadResult is what happened to one uploaded file, in the user's language.
type uploadResult struct {
	Name    string `json:"name"`
	OK      bool   `json:"ok"`
	Message string `json:"message"`
	PhotoID int64  `json:"photo_id,omitempty"`
	Thumb   string `json:"thumb,omitempty"`
}

// storedImage is a processed upload whose variants are all in the store.
type storedImage struct {
	base          string
	width, height int
	variants      []string
}

func (s storedImage) keys() []string {
	keys := make([]string, len(s.variants))
	for i, v := range s.variants {
		keys[i] = s.base + "-" + v + ".jpg"
	}
	return keys
}

// storeImage runs one uploaded file through the pipeline (sniffed type, size and pixel limits,
// EXIF orientation, re-encoded variants; the original bytes are never kept) and puts every
// variant under img/<uuid>-<width>.jpg. On any failure nothing of it stays in the store.
func (h *Handler) storeImage(ctx context.Context, fh *multipart.FileHeader) (storedImage, error) {
	if fh.Size > storage.DefaultImageMaxBytes {
		return storedImage{}, fmt.Errorf("check upload of %d bytes: %w", fh.Size, storage.ErrImageTooLarge)
	}
	f, err := fh.Open()
	if err != nil {
		return storedImage{}, fmt.Errorf("open upload: %w", err)
	}
	defer func() { _ = f.Close() }()
	img, err := h.images.Process(ctx, f)
	if err != nil {
		return storedImage{}, fmt.Errorf("process upload: %w", err)
	}
	s := storedImage{base: storage.NewKey(photoPrefix, ""), width: img.Width, height: img.Height}
	for _, v := range img.Variants {
		key := s.base + "-" + v.Name + ".jpg"
		if err := h.store.Put(ctx, key, bytes.NewReader(v.Data), int64(len(v.Data)), storage.ImageTypeJPEG); err != nil {
			h.deleteObjects(ctx, s.keys())
			return storedImage{}, fmt.Errorf("%w: put %s: %w", errStoreDown, key, err)
		}
		s.variants = append(s.variants, v.Name)
	}
	return s, nil
}

// deleteObjects deletes objects on a budget of its own (the request's may be spent); what
// fails is logged and left to the sweep.
func (h *Handler) deleteObjects(ctx context.Context, keys []string) {
	if len(keys) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
	defer cancel()
	for _, k := range keys {
		if err := h.store.Delete(ctx, k); err != nil {
			h.log.Warn("delete photo object; the sweep will retry", slog.String("key", k), slog.Any("error", err))
		}
	}
}

// deleteKeyBase deletes every variant of a key base (a replaced workshop photo).
func (h *Handler) deleteKeyBase(ctx context.Context, base string) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
	defer cancel()
	var keys []string
	err := h.store.List(ctx, base+"-", func(o storage.ObjectInfo) error {
		keys = append(keys, o.Key)
		return nil
	})
	if err != nil {
		h.log.Warn("list replaced photo; the sweep will delete it", slog.String("key_base", base), slog.Any("error", err))
		return
	}
	h.deleteObjects(ctx, keys)
}

// uploadProblem maps a failed upload to the message shown next to the file and the status.
func uploadProblem(err error) (msgID string, status int) {
	switch {
	case errors.Is(err, errStoreDown):
		return "PhotoStoreUnavailable", fiber.StatusServiceUnavailable
	case errors.Is(err, storage.ErrImageHEIC):
		return "PhotoHEIC", fiber.StatusUnprocessableEntity
	case errors.Is(err, storage.ErrImageTooLarge):
		return "PhotoTooLarge", fiber.StatusUnprocessableEntity
	case errors.Is(err, storage.ErrImagePixels):
		return "PhotoTooManyPixels", fiber.StatusUnprocessableEntity
	case errors.Is(err, storage.ErrImageType):
		return "PhotoNotImage", fiber.StatusUnprocessableEntity
	case errors.Is(err, storage.ErrImageCorrupt):
		return "PhotoCorrupt", fiber.StatusUnprocessableEntity
	case errors.Is(err, models.ErrPhotoLimit):
		return "PhotoLimit", fiber.StatusUnprocessableEntity
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		return "PhotoTimeout", fiber.StatusServiceUnavailable
	}
	return "PhotoFailed", fiber.StatusInternalServerError
}

// uploadedFiles returns the files of a multipart field; a request that is not multipart has
// none, a broken multipart body is a 400.
func uploadedFiles(c *fiber.Ctx, field string) ([]*multipart.FileHeader, error) {
	if !strings.HasPrefix(strings.ToLower(c.Get(fiber.HeaderContentType)), fiber.MIMEMultipartForm) {
		return nil, nil
	}
	form, err := c.MultipartForm()
	if err != nil {
		return nil, httpError(fiber.StatusBadRequest, "ErrorBadRequest", fmt.Errorf("read multipart upload: %w", err))
	}
	return form.File[field], nil
}

// displayName is a file name safe to echo: the last path segment, without control or
// formatting characters (bidi overrides), shortened.
func displayName(name string) string {
	name = path.Base(strings.ReplaceAll(name, "\\", "/"))
	name = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
			return -1
		}
		return r
	}, name)
	if r := []rune(name); len(r) > maxShownName {
		name = string(r[:maxShownName-1]) + "…"
	}
	if name == "" || name == "." || name == "/" {
		return "?"
	}
	return name
}

func acceptsJSON(c *fiber.Ctx) bool {
	return strings.Contains(c.Get(fiber.HeaderAccept), fiber.MIMEApplicationJSON)
}

// say translates a message for a JSON answer.
func (h *Handler) say(lang, id string) string { return h.tr.localize(lang, id, nil, nil) }

// sendUploadReport answers upload.js.
func sendUploadReport(c *fiber.Ctx, status int, r uploadReport) error {
	c.Set(fiber.HeaderCacheControl, "no-store")
	if r.Files == nil {
		r.Files = []uploadResult{}
	}
	return c.Status(status).JSON(r)
}

// limitUploads is the per-account limit of the upload routes (their "before" in the route
// table). Its counters live in the shared database under one name, so the two routes share one
// budget across every instance. A refused upload gets 429, Retry-After and a message saying
// when to try again: JSON for upload.js, which shows it next to the file, or the error page for
// a form posted without JavaScript.
func (h *Handler) limitUploads() []fiber.Handler {
	limit := h.rateLimit("photo-upload", uploadLimit, uploadWindow, accountKey, false)
	return []fiber.Handler{func(c *fiber.Ctx) error {
		err := limit(c)
		if !errors.Is(err, errRateLimited) {
			return err // the upload's own answer
		}
		return h.refuseUploadBurst(c, err)
	}}
}

// accountKey keys a limit on the signed-in account; on the client's address when nobody is
// signed in (the access check before the limit lets no one through on the upload routes).
func accountKey(c *fiber.Ctx) string {
	if u := currentUser(c); u != nil {
		return "user:" + strconv.FormatInt(u.ID, 10)
	}
	return "ip:" + clientIP(c)
}

// refuseUploadBurst answers an upload refused by limitUploads, in the user's language, with
// the minutes to wait from the limiter's Retry-After.
func (h *Handler) refuseUploadBurst(c *fiber.Ctx, cause error) error {
	wait, _ := strconv.Atoi(c.GetRespHeader(fiber.HeaderRetryAfter))
	minutes := max(1, (wait+59)/60)
	msg := h.tr.localize(localsLanguage(c), "PhotoRateLimited", minutes, nil)
	attrs := []any{slog.Int("status", fiber.StatusTooManyRequests), slog.String("route", c.Route().Path),
		slog.String("request_id", requestID(c)), slog.Any("error", cause)}
	if u := currentUser(c); u != nil {
		attrs = append(attrs, slog.Int64("user_id", u.ID))
	}
	h.log.Info("photo upload refused", attrs...)
	if acceptsJSON(c) {
		return sendUploadReport(c, fiber.StatusTooManyRequests, uploadReport{Message: msg})
	}
	page := h.newPage(c, "ErrorTitle")
	page.Data = errorPageData{Code: fiber.StatusTooManyRequests, Message: msg}
	return h.render(c, fiber.StatusTooManyRequests, tplError, page)
}

// uploadPhotos adds one or more photos (multipart field "photos") to the artisan's own product.
// Each file is reported on its own; the answer is 200 when all were added, 422 when some were
// refused, 503 when the object store failed. With Accept: application/json (upload.js) the
// report is JSON; a plain form post is redirected back on success and shown the report
// otherwise.
func (h *Handler) uploadPhotos(c *fiber.Ctx) error {
	a, p, err := h.ownProduct(c)
	if err != nil {
		return err
	}
	ctx := c.UserContext()
	lang := localsLanguage(c)
	back := fmt.Sprintf("/studio/products/%d#photos", p.ID)
	files, err := uploadedFiles(c, "photos")
	if err != nil {
		return err
	}
	if len(files) == 0 {
		if acceptsJSON(c) {
			return sendUploadReport(c, fiber.StatusUnprocessableEntity, uploadReport{Message: h.say(lang, "PhotoChooseFile")})
		}
		webSessionOf(c).addFlash("error", "PhotoChooseFile")
		return c.Redirect(back, fiber.StatusSeeOther)
	}
	existing, err := models.ListPhotos(ctx, h.db, p.ID)
	if err != nil {
		return err
	}
	room := models.MaxPhotosPerProduct - len(existing)
	var report uploadReport
	status, added, storeDown := fiber.StatusOK, 0, false
	refuse := func(res uploadResult, id string, code int) {
		res.Message = h.say(lang, id)
		report.Files = append(report.Files, res)
		status = max(status, code)
	}
	for _, fh := range files {
		res := uploadResult{Name: displayName(fh.Filename)}
		switch {
		case storeDown:
			refuse(res, "PhotoNotTried", fiber.StatusServiceUnavailable)
			continue
		case room <= 0:
			refuse(res, "PhotoLimit", fiber.StatusUnprocessableEntity)
			continue
		}
		img, err := h.storeImage(ctx, fh)
		if err != nil {
			id, code := uploadProblem(err)
			h.logUploadRefusal(c, code, err)
			storeDown = storeDown || code == fiber.StatusServiceUnavailable
			refuse(res, id, code)
			continue
		}
		ph, err := models.AddPhoto(ctx, h.db, a.ID, p.ID, models.Photo{
			KeyBase: img.base, Width: img.width, Height: img.height, Variants: strings.Join(img.variants, ","),
		})
		if err != nil {
			h.deleteObjects(ctx, img.keys())
			if errors.Is(err, models.ErrPhotoLimit) {
				room = 0
				refuse(res, "PhotoLimit", fiber.StatusUnprocessableEntity)
				continue
			}
			return fmt.Errorf("add photo to product %d: %w", p.ID, err)
		}
		room--
		added++
		res.OK, res.PhotoID, res.Thumb = true, ph.ID, h.store.URL(ph.Key("320"))
		res.Message = h.say(lang, "PhotoAdded")
		report.Files = append(report.Files, res)
	}
	switch {
	case storeDown:
		report.Message = h.say(lang, "PhotoStoreUnavailable")
	case status == fiber.StatusOK:
		report.Message = h.tr.localize(lang, "PhotosAdded", added, nil)
	default:
		report.Message = h.tr.localize(lang, "PhotosSomeRefused", len(files)-added, nil)
	}
	if acceptsJSON(c) {
		return sendUploadReport(c, status, report)
	}
	if status == fiber.StatusOK {
		webSessionOf(c).addFlash("success", "FlashPhotosAdded")
		return c.Redirect(back, fiber.StatusSeeOther)
	}
	if status == fiber.StatusServiceUnavailable {
		c.Set(fiber.HeaderRetryAfter, "30")
	}
	// Show the report above the gallery, with what was added meanwhile.
	page := h.newPage(c, "StudioEditProductTitle")
	page.Form = productFormValues(page.Lang, p)
	data, err := h.productPageData(c, page.Lang, &a, &p)
	if err != nil {
		return err
	}
	data.Report = &report
	page.Title = data.Title
	page.Data = data
	return h.render(c, status, tplStudioProduct, page)
}

func (h *Handler) logUploadRefusal(c *fiber.Ctx, status int, err error) {
	level := slog.LevelInfo
	if status >= fiber.StatusInternalServerError {
		level = slog.LevelError
	}
	h.log.Log(c.UserContext(), level, "photo upload refused", slog.Int("status", status),
		slog.String("request_id", requestID(c)), slog.Any("error", err))
}

// uploadWorkshopPhoto sets the photo of the artisan's workshop (multipart field "photo"),
// through the same pipeline, and deletes the objects of the one it replaces.
func (h *Handler) uploadWorkshopPhoto(c *fiber.Ctx) error {
	lang := localsLanguage(c)
	answer := func(status int, msgID, flashKind string, res *uploadResult) error {
		if acceptsJSON(c) {
			r := uploadReport{Message: h.say(lang, msgID)}
			if res != nil {
				r.Files = []uploadResult{*res}
			}
			return sendUploadReport(c, status, r)
		}
		if status == fiber.StatusServiceUnavailable {
			return httpError(status, msgID, errStoreDown)
		}
		webSessionOf(c).addFlash(flashKind, msgID)
		return c.Redirect("/studio/profile#workshop", fiber.StatusSeeOther)
	}
	a, err := h.studioArtisan(c)
	if err != nil {
		return err
	}
	if a == nil {
		return answer(fiber.StatusUnprocessableEntity, "FlashProfileFirst", "error", nil)
	}
	files, err := uploadedFiles(c, "photo")
	if err != nil {
		return err
	}
	if len(files) == 0 {
		return answer(fiber.StatusUnprocessableEntity, "PhotoChooseFile", "error", nil)
	}
	ctx := c.UserContext()
	res := uploadResult{Name: displayName(files[0].Filename)}
	img, err := h.storeImage(ctx, files[0])
	if err != nil {
		id, code := uploadProblem(err)
		h.logUploadRefusal(c, code, err)
		res.Message = h.say(lang, id)
		return answer(code, id, "error", &res)
	}
	old, err := models.SetWorkshopPhoto(ctx, h.db, a.UserID, img.base)
	if err != nil {
		h.deleteObjects(ctx, img.keys())
		return fmt.Errorf("set workshop photo of artisan %d: %w", a.ID, err)
	}
	if old != "" && old != img.base {
		h.deleteKeyBase(ctx, old)
	}
	res.OK, res.Thumb, res.Message = true, h.store.URL(img.base+"-320.jpg"), h.say(lang, "FlashWorkshopPhotoSaved")
	return answer(fiber.StatusOK, "FlashWorkshopPhotoSaved", "success", &res)
}

// deletePhoto removes a photo of the artisan's own product: the row first, then its objects
// (a failed delete is left to the sweep).
func (h *Handler) deletePhoto(c *fiber.Ctx) error {
	a, p, err := h.ownProduct(c)
	if err != nil {
		return err
	}
	photoID, err := paramID(c, "photoID")
	if err != nil {
		return err
	}
	ctx := c.UserContext()
	ph, err := models.DeletePhoto(ctx, h.db, a.ID, p.ID, photoID)
	if err != nil {
		return fmt.Errorf("delete photo %d of product %d: %w", photoID, p.ID, err)
	}
	h.deleteObjects(ctx, ph.Keys())
	ws := webSessionOf(c)
	ws.addFlash("success", "FlashPhotoDeleted")
	if after, err := models.GetOwnProduct(ctx, h.db, a.ID, p.ID); err == nil && p.Status == models.ProductPublished && after.Status == models.ProductDraft {
		ws.addFlash("info", "FlashProductBackToDraft")
	}
	return c.Redirect(fmt.Sprintf("/studio/products/%d#photos", p.ID), fiber.StatusSeeOther)
}

// setCoverPhoto moves a photo to the front of the artisan's own product's gallery.
func (h *Handler) setCoverPhoto(c *fiber.Ctx) error {
	a, p, err := h.ownProduct(c)
	if err != nil {
		return err
	}
	photoID, err := paramID(c, "photoID")
	if err != nil {
		return err
	}
	if err := models.SetCoverPhoto(c.UserContext(), h.db, a.ID, p.ID, photoID); err != nil {
		return fmt.Errorf("set cover of product %d: %w", p.ID, err)
	}
	webSessionOf(c).addFlash("success", "FlashCoverChanged")
	return c.Redirect(fmt.Sprintf("/studio/products/%d#photos", p.ID), fiber.StatusSeeOther)
}

// reorderPhotos sets the gallery order: the full order as repeated "ids" fields, or one photo
// ("photo") moved one place ("dir" = up or down) by the buttons that work without JavaScript.
func (h *Handler) reorderPhotos(c *fiber.Ctx) error {
	a, p, err := h.ownProduct(c)
	if err != nil {
		return err
	}
	ctx := c.UserContext()
	args := c.Request().PostArgs()
	var ids []int64
	anchor := "#photos"
	for _, raw := range args.PeekMulti("ids") {
		id, err := strconv.ParseInt(string(raw), 10, 64)
		if err != nil || id <= 0 {
			return httpError(fiber.StatusBadRequest, "ErrorBadRequest", fmt.Errorf("photo id %q", raw))
		}
		ids = append(ids, id)
	}
	if len(ids) == 0 {
		moved, err := strconv.ParseInt(string(args.Peek("photo")), 10, 64)
		if err != nil {
			return httpError(fiber.StatusBadRequest, "ErrorBadRequest", fmt.Errorf("photo to move: %w", err))
		}
		photos, err := models.ListPhotos(ctx, h.db, p.ID)
		if err != nil {
			return err
		}
		if ids, err = movePhoto(photos, moved, string(args.Peek("dir"))); err != nil {
			return err
		}
		anchor = fmt.Sprintf("#photo-%d", moved) // back to the photo that moved
	}
	if err := models.ReorderPhotos(ctx, h.db, a.ID, p.ID, ids); err != nil {
		return fmt.Errorf("reorder photos of product %d: %w", p.ID, err)
	}
	if acceptsJSON(c) {
		return c.SendStatus(fiber.StatusNoContent)
	}
	webSessionOf(c).addFlash("success", "FlashPhotosReordered")
	return c.Redirect(fmt.Sprintf("/studio/products/%d%s", p.ID, anchor), fiber.StatusSeeOther)
}

// movePhoto returns the gallery order with one photo moved a place up (towards the cover) or
// down.
func movePhoto(photos []models.Photo, id int64, dir string) ([]int64, error) {
	ids := make([]int64, len(photos))
	at := -1
	for i, ph := range photos {
		ids[i] = ph.ID
		if ph.ID == id {
			at = i
		}
	}
	if at < 0 {
		return nil, errNotFound
	}
	switch dir {
	case "up":
		if at > 0 {
			ids[at-1], ids[at] = ids[at], ids[at-1]
		}
	case "down":
		if at < len(ids)-1 {
			ids[at+1], ids[at] = ids[at], ids[at+1]
		}
	default:
		return nil, httpError(fiber.StatusBadRequest, "ErrorBadRequest", fmt.Errorf("move direction %q", dir))
	}
	return ids, nil
}

// mediaAccess decides who may fetch an object under /media (checklist B5). A photo of a
// published product of a verified artisan (or a verified artisan's workshop photo) is public;
// otherwise only its artisan, the chamber agents of the artisan's region and organizers see it.
// An object no row points to, or one the user may not see, is a 404: its existence is not
// confirmed.
func (h *Handler) mediaAccess(c *fiber.Ctx, key string) (public bool, err error) {
	vis, err := models.GetPhotoVisibility(c.UserContext(), h.db, models.PhotoKeyBase(key))
	if errors.Is(err, models.ErrNotFound) {
		return false, errNotFound
	}
	if err != nil {
		return false, fmt.Errorf("check access to media %s: %w", key, err)
	}
	if vis.Public {
		return true, nil
	}
	u := currentUser(c)
	switch {
	case u == nil:
	case u.ID == vis.OwnerUserID, u.Role == models.RoleOrganizer,
		u.Role == models.RoleChamber && u.RegionCode != nil && *u.RegionCode == vis.RegionCode:
		return false, nil
	}
	return false, errNotFound
}

// SweepOrphanObjects deletes the photo objects (under img/) that no row points to and that are
// older than olderThan, so an upload between its Put and its row insert is never touched. It
// returns how many objects it deleted; it deletes nothing when the database cannot answer.
func (h *Handler) SweepOrphanObjects(ctx context.Context, olderThan time.Duration) (int, error) {
	cutoff := time.Now().Add(-olderThan)
	byBase := map[string][]string{}
	var bases []string
	err := h.store.List(ctx, photoPrefix+"/", func(o storage.ObjectInfo) error {
		if o.ModTime.After(cutoff) {
			return nil
		}
		base := models.PhotoKeyBase(o.Key)
		if _, seen := byBase[base]; !seen {
			bases = append(bases, base)
		}
		byBase[base] = append(byBase[base], o.Key)
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("sweep: list objects: %w", err)
	}
	deleted := 0
	var firstErr error
	for start := 0; start < len(bases); start += sweepBatch {
		batch := bases[start:min(start+sweepBatch, len(bases))]
		known, err := models.KnownPhotoKeyBases(ctx, h.db, batch)
		if err != nil {
			return deleted, fmt.Errorf("sweep: look up key bases: %w", err)
		}
		for _, base := range batch {
			if known[base] {
				continue
			}
			for _, key := range byBase[base] {
				if err := h.store.Delete(ctx, key); err != nil {
					if firstErr == nil {
						firstErr = fmt.Errorf("sweep: delete %s: %w", key, err)
					}
					continue
				}
				deleted++
			}
		}
	}
	return deleted, firstErr
}

// sweepOrphans is RunJanitor's hourly sweep.
func (h *Handler) sweepOrphans(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, sweepTimeout)
	defer cancel()
	n, err := h.SweepOrphanObjects(ctx, orphanGrace)
	if err != nil {
		h.log.Warn("sweep orphaned photo objects", slog.Int("deleted", n), slog.Any("error", err))
		return
	}
	if n > 0 {
		h.log.Info("deleted orphaned photo objects", slog.Int("objects", n))
	}
}
