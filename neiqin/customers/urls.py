from django.urls import path

from neiqin.customers import views

app_name = "customers"
urlpatterns = [
    path("", views.customer_list, name="list"),
    path("new/", views.customer_create, name="create"),
    path("export/", views.customer_export, name="export"),
    path("pool/", views.pool, name="pool"),
    path("pool/<int:pk>/claim/", views.pool_claim, name="claim"),
    path("import/", views.import_start, name="import"),
    path("import/template/", views.import_template, name="import_template"),
    path("import/<int:batch_id>/", views.import_batch, name="import_batch"),
    path("import/<int:batch_id>/commit/", views.import_commit, name="import_commit"),
    path("import/<int:batch_id>/discard/", views.import_discard, name="import_discard"),
    path("<int:pk>/", views.customer_detail, name="detail"),
    path("<int:pk>/edit/", views.customer_edit, name="edit"),
    path("<int:pk>/assign/", views.customer_assign, name="assign"),
    path("<int:pk>/acknowledge/", views.customer_acknowledge, name="acknowledge"),
    path("<int:pk>/release/", views.customer_release, name="release"),
    path("<int:pk>/stage/", views.customer_stage, name="stage"),
    path("<int:pk>/follow-up/", views.customer_follow_up, name="follow_up"),
    path("<int:pk>/key-dates/", views.key_date_add, name="key_date_add"),
    path("<int:pk>/contacts/new/", views.contact_create, name="contact_create"),
    path("<int:pk>/contacts/<int:contact_id>/edit/", views.contact_edit, name="contact_edit"),
    path("<int:pk>/contacts/<int:contact_id>/delete/", views.contact_delete, name="contact_delete"),
]
