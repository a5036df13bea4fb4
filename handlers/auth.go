package handlers

import (
	"errors"
	"fmt"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/utils"
	"github.com/soukexpo/souk/models"
)

type signupInput struct {
	Email    string `form:"email" validate:"required,email,max=254"`
	Password string `form:"password" validate:"required"`
	Name     string `form:"name" validate:"required,max=120"`
	Role     string `form:"role" validate:"required,oneof=visitor artisan"`
}

type loginInput struct {
	Email    string `form:"email" validate:"required,max=254"`
	Password string `form:"password" validate:"required,max=1024"`
	Next     string `form:"next"`
}

type passwordInput struct {
	Current string `form:"current_password" validate:"required,max=1024"`
	New     string `form:"new_password" validate:"required"`
}

type authPageData struct {
	Next  string
	Roles []models.Role
}

func (h *Handler) showSignup(c *fiber.Ctx) error {
	if currentUser(c) != nil {
		return c.Redirect("/account", fiber.StatusSeeOther)
	}
	page := h.newPage(c, "SignupTitle")
	page.Form = newForm()
	page.Form.Values["role"] = string(models.RoleVisitor)
	if r := c.Query("role"); r == string(models.RoleArtisan) {
		page.Form.Values["role"] = r
	}
	page.Data = authPageData{Roles: models.SelfSignupRoles}
	return h.render(c, fiber.StatusOK, tplSignup, page)
}

func (h *Handler) signup(c *fiber.Ctx) error {
	var in signupInput
	form, err := h.bindForm(c, &in)
	if err != nil {
		return err
	}
	page := h.newPage(c, "SignupTitle")
	page.Form = form
	page.Data = authPageData{Roles: models.SelfSignupRoles}
	if form.HasErrors() {
		return h.render(c, fiber.StatusUnprocessableEntity, tplSignup, page)
	}
	u, err := models.CreateUser(c.UserContext(), h.db, models.NewUser{
		Email: in.Email, Name: in.Name, Password: in.Password, Role: models.Role(in.Role), Locale: page.Lang,
	})
	if err != nil {
		if mergeValidation(form, err) {
			return h.render(c, fiber.StatusUnprocessableEntity, tplSignup, page)
		}
		return fmt.Errorf("sign up: %w", err)
	}
	ws := ensureWebSession(c, h)
	if err := ws.login(u); err != nil {
		return err
	}
	ws.addFlash("success", "FlashWelcome")
	return c.Redirect("/account", fiber.StatusSeeOther)
}

func (h *Handler) showLogin(c *fiber.Ctx) error {
	next := safeNext(c.Query("next"))
	if currentUser(c) != nil {
		return c.Redirect(next, fiber.StatusSeeOther)
	}
	page := h.newPage(c, "LoginTitle")
	page.Form = newForm()
	page.Data = authPageData{Next: next}
	return h.render(c, fiber.StatusOK, tplLogin, page)
}

func (h *Handler) login(c *fiber.Ctx) error {
	var in loginInput
	form, err := h.bindForm(c, &in)
	if err != nil {
		return err
	}
	next := safeNext(in.Next)
	page := h.newPage(c, "LoginTitle")
	page.Form = form
	page.Data = authPageData{Next: next}
	if form.HasErrors() {
		return h.render(c, fiber.StatusUnprocessableEntity, tplLogin, page)
	}
	u, err := models.Authenticate(c.UserContext(), h.db, in.Email, in.Password)
	if errors.Is(err, models.ErrInvalidCredentials) {
		// Same status and text whether the e-mail is unknown or the password wrong.
		form.Summary = "LoginFailed"
		return h.render(c, fiber.StatusUnauthorized, tplLogin, page)
	}
	if err != nil {
		return fmt.Errorf("log in: %w", err)
	}
	ws := ensureWebSession(c, h)
	if err := ws.login(u); err != nil {
		return err
	}
	h.mergeCartAtLogin(c, ws, u)
	ws.addFlash("success", "FlashLoggedIn")
	return c.Redirect(next, fiber.StatusSeeOther)
}

func (h *Handler) logout(c *fiber.Ctx) error {
	if ws := webSessionOf(c); ws != nil {
		if err := ws.destroy(); err != nil {
			return err
		}
	}
	return c.Redirect("/?lang="+localsLanguage(c), fiber.StatusSeeOther)
}

type accountData struct {
	Region *models.Region
	// Orders are the visitor's latest orders, newest first.
	Orders []models.Order
}

func (h *Handler) showAccount(c *fiber.Ctx) error {
	page := h.newPage(c, "AccountTitle")
	page.Form = newForm()
	data, err := h.accountData(c)
	if err != nil {
		return err
	}
	page.Data = data
	return h.render(c, fiber.StatusOK, tplAccount, page)
}

func (h *Handler) accountData(c *fiber.Ctx) (accountData, error) {
	var data accountData
	if u := currentUser(c); u != nil && u.RegionCode != nil {
		r, err := models.GetRegion(c.UserContext(), h.db, *u.RegionCode)
		if err != nil {
			return data, fmt.Errorf("load region of user %d: %w", u.ID, err)
		}
		data.Region = &r
	}
	if u := currentUser(c); u != nil {
		orders, err := models.ListUserOrders(c.UserContext(), h.db, u.ID, 20)
		if err != nil {
			return data, err
		}
		data.Orders = orders
	}
	return data, nil
}

func (h *Handler) changePassword(c *fiber.Ctx) error {
	var in passwordInput
	form, err := h.bindForm(c, &in)
	if err != nil {
		return err
	}
	page := h.newPage(c, "AccountTitle")
	page.Form = form
	data, err := h.accountData(c)
	if err != nil {
		return err
	}
	page.Data = data
	if form.HasErrors() {
		return h.render(c, fiber.StatusUnprocessableEntity, tplAccount, page)
	}
	u, err := models.ChangePassword(c.UserContext(), h.db, currentUser(c).ID, in.Current, in.New)
	if err != nil {
		if mergeValidation(form, err) {
			return h.render(c, fiber.StatusUnprocessableEntity, tplAccount, page)
		}
		return fmt.Errorf("change password: %w", err)
	}
	// Every other session of the user ended with the epoch bump; this one starts afresh.
	ws := ensureWebSession(c, h)
	if err := ws.login(u); err != nil {
		return err
	}
	ws.addFlash("success", "FlashPasswordChanged")
	return c.Redirect("/account", fiber.StatusSeeOther)
}

// safeNext keeps redirects after login on this site. Control characters are refused outright:
// browsers drop tabs and newlines from URLs, so "/\t/evil.example" would become "//evil.example".
func safeNext(next string) string {
	next = utils.CopyString(next)
	if next == "" || !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") ||
		strings.ContainsFunc(next, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
		return "/account"
	}
	return next
}

func localsLanguage(c *fiber.Ctx) string {
	lang, _ := c.Locals(localsLang).(string)
	if lang == "" {
		return "fr"
	}
	return lang
}
