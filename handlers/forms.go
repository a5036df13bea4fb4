package handlers

import (
	"errors"
	"fmt"
	"reflect"
	"strings"

	"github.com/go-playground/validator/v10"
	"github.com/gofiber/fiber/v2"
	"github.com/soukexpo/souk/models"
)

// validationMessages maps validator tags to catalog message ids.
var validationMessages = map[string]string{
	"required": "FieldRequired",
	"email":    "EmailInvalid",
	"max":      "FieldTooLong",
	"min":      "FieldTooShort",
	"oneof":    "FieldInvalidChoice",
}

func newValidator() *validator.Validate {
	v := validator.New(validator.WithRequiredStructEnabled())
	v.RegisterTagNameFunc(func(f reflect.StructField) string {
		name, _, _ := strings.Cut(f.Tag.Get("form"), ",")
		return name
	})
	return v
}

// bindForm decodes the form body into dst (a per-form input struct, never a model) and
// validates it. The returned Form keeps what was typed (passwords excepted) and the message id
// of each field's error.
func (h *Handler) bindForm(c *fiber.Ctx, dst any) (*Form, error) {
	form := newForm()
	if err := c.BodyParser(dst); err != nil {
		return nil, httpError(fiber.StatusBadRequest, "ErrorBadRequest", fmt.Errorf("parse form: %w", err))
	}
	rv := reflect.ValueOf(dst).Elem()
	rt := rv.Type()
	for i := range rt.NumField() {
		name, _, _ := strings.Cut(rt.Field(i).Tag.Get("form"), ",")
		if name == "" || strings.Contains(name, "password") || rt.Field(i).Type.Kind() != reflect.String {
			continue
		}
		trimmed := strings.TrimSpace(rv.Field(i).String())
		rv.Field(i).SetString(trimmed)
		form.Values[name] = trimmed
	}
	if err := h.validate.Struct(dst); err != nil {
		var verrs validator.ValidationErrors
		if !errors.As(err, &verrs) {
			return nil, fmt.Errorf("validate form: %w", err)
		}
		for _, fe := range verrs {
			msg, ok := validationMessages[fe.Tag()]
			if !ok {
				msg = "FieldInvalid"
			}
			if _, seen := form.Errors[fe.Field()]; !seen {
				form.Errors[fe.Field()] = msg
			}
		}
	}
	return form, nil
}

// mergeValidation copies a models.ValidationError into the form; it reports whether err was one.
func mergeValidation(form *Form, err error) bool {
	var ve *models.ValidationError
	if !errors.As(err, &ve) {
		return false
	}
	for k, v := range ve.Fields {
		form.Errors[k] = v
	}
	return true
}
