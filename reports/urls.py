from .advice_urls import urlpatterns as advice_urlpatterns
from .overview_urls import urlpatterns as overview_urlpatterns

app_name = "reports"
urlpatterns = advice_urlpatterns + overview_urlpatterns
