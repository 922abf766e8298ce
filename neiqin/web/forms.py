"""Forms of the shell: login, password change, notification e-mail, personal API tokens. They only
parse input."""

from __future__ import annotations

from django import forms
from django.contrib.auth.forms import AuthenticationForm, PasswordChangeForm
from django.utils.translation import gettext_lazy as _


class LoginForm(AuthenticationForm):
    error_messages = {
        "invalid_login": _("用户名或密码不正确。连续失败 5 次后账号将锁定 15 分钟。"),
        "locked": _("用户名或密码不正确。已连续失败 5 次，账号已锁定 15 分钟，请稍后再试。"),
        "inactive": _("该账号已停用，请联系管理员。"),
    }

    def __init__(self, request=None, *args, **kwargs):
        super().__init__(request, *args, **kwargs)
        self.fields["username"].label = _("用户名")
        self.fields["password"].label = _("密码")
        self.fields["username"].widget.attrs.update({"class": "form-control", "autocomplete": "username"})
        self.fields["password"].widget.attrs.update({"class": "form-control", "autocomplete": "current-password"})


class NeiqinPasswordChangeForm(PasswordChangeForm):
    error_messages = {
        **PasswordChangeForm.error_messages,
        "password_incorrect": _("原密码不正确，请重新输入。"),
        "password_mismatch": _("两次输入的新密码不一致。"),
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        labels = {"old_password": _("原密码"), "new_password1": _("新密码"), "new_password2": _("确认新密码")}
        for name, label in labels.items():
            self.fields[name].label = label
            self.fields[name].help_text = ""
            self.fields[name].widget.attrs["class"] = "form-control form-control-sm"
        self.fields["new_password1"].help_text = _("至少 8 位，不能是常见密码。")
        self.fields["old_password"].widget.attrs.pop("autofocus", None)


class TokenCreateForm(forms.Form):
    name = forms.CharField(
        label=_("令牌名称"),
        required=False,
        max_length=60,
        widget=forms.TextInput(attrs={"class": "form-control form-control-sm", "placeholder": _("例如：报表脚本")}),
    )


class NotificationEmailForm(forms.Form):
    """Where notifications go by e-mail; the service validates (address format, address needed)."""

    email = forms.CharField(
        label=_("邮箱"),
        required=False,
        max_length=254,
        widget=forms.EmailInput(attrs={"class": "form-control form-control-sm", "autocomplete": "email"}),
    )
    enabled = forms.BooleanField(
        label=_("通知同时发到我的邮箱"), required=False, widget=forms.CheckboxInput(attrs={"class": "form-check-input"})
    )
