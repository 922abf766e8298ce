from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "neiqin.core"
    label = "core"
    verbose_name = "Core"

    def ready(self) -> None:
        # Imports parse untrusted XLSX (XML inside a zip): refuse to start unless openpyxl
        # parses through defusedxml (RELIABILITY S10; Tryton CVE-2022-26661/26662).
        from neiqin.core.spreadsheets import assert_defused

        assert_defused()
