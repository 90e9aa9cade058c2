from django.urls import path

from . import views

urlpatterns = [
    path("medical/", views.book, name="medical-book"),
    path("medical/book", views.book_submit, name="medical-book-submit"),
    path("medical/appointments/", views.mine, name="medical-mine"),
    path("medical/appointments/<int:appointment_id>/cancel", views.cancel, name="medical-cancel"),
    path("medical/desk/", views.desk_index, name="medical-desk-index"),
    path("medical/desk/<slug:slug>/", views.desk, name="medical-desk"),
    path("medical/desk/<slug:slug>/appointments/<int:appointment_id>/fulfil", views.desk_fulfil,
         name="medical-desk-fulfil"),
    path("medical/desk/<slug:slug>/sessions/<int:session_id>/screen", views.screen, name="medical-screen"),
]

# The money pages (bills, paying, the cashier): their own module, merged here.
from .billing_urls import urlpatterns as billing_urlpatterns  # noqa: E402

urlpatterns += billing_urlpatterns
