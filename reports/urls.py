from .advice_urls import urlpatterns as advice_urlpatterns
from .overview_urls import urlpatterns as overview_urlpatterns
from .worksheet_urls import urlpatterns as worksheet_urlpatterns

app_name = "reports"
urlpatterns = advice_urlpatterns + overview_urlpatterns + worksheet_urlpatterns
